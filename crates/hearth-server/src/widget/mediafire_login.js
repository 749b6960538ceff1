/* Hearth's login widget: MF.login(options, callback, scope), compatible with MediaFire's
 * mediafire_login.js (auth.js). Opens the server's login page in a popup; the page hands the
 * session token back with postMessage, and only messages from this server are believed. */
(function (w) {
  "use strict";
  var ORIGIN = "__HEARTH_ORIGIN__";

  function login(options, callback, scope) {
    var appId = options && (options.apiID || options.appId || options.app_id);
    var width = 520, height = 360;
    var left = (w.screenX || 0) + Math.max(0, ((w.outerWidth || width) - width) / 2);
    var top = (w.screenY || 0) + Math.max(0, ((w.outerHeight || height) - height) / 2);
    var url = ORIGIN + "/auth/mediafire_login.php?app_id=" + encodeURIComponent(appId) +
      "&origin=" + encodeURIComponent(w.location.origin);
    var popup = w.open(url, "hearth_login",
      "width=" + width + ",height=" + height + ",left=" + left + ",top=" + top);
    var done = false;
    var ping, poll;

    function stop() {
      clearInterval(ping);
      clearInterval(poll);
      w.removeEventListener("message", onMessage);
    }
    function finish(token) {
      if (done) { return; }
      done = true;
      stop();
      try { popup.close(); } catch (e) { /* already closed */ }
      callback.call(scope || w, token);
    }
    function onMessage(event) {
      if (event.origin !== ORIGIN) { return; }
      var data = String(event.data).trim();
      if (data === "pong") { clearInterval(ping); return; }
      if (data) { finish(data); }
    }
    w.addEventListener("message", onMessage);
    ping = setInterval(function () {
      try { popup.postMessage("ping", ORIGIN); } catch (e) { /* not loaded yet */ }
    }, 200);
    poll = setInterval(function () {
      try { if (popup.name && popup.name !== "hearth_login") { finish(popup.name); } } catch (e) { /* cross-origin */ }
      if (popup.closed && !done) { stop(); }
    }, 50);
  }

  var MF = w.MF;
  if (typeof MF === "function" && MF.prototype) {
    MF.prototype._authLogin = function (callback, scope) {
      login({ apiID: this.appId || this.app_id }, callback, scope);
    };
    MF.login = login;
  } else {
    w.MF = MF || {};
    w.MF.login = login;
  }
}(window));
