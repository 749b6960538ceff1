//! Unit tests of the VCDIFF decoder: hand-made deltas for each instruction and address mode,
//! hostile input (truncated, huge sizes, out-of-range copies, random bytes and flipped bits)
//! that must fail cleanly, and deltas made by the real `xdelta3` program.

use std::process::Command;

use super::*;

fn limits() -> Limits {
    Limits {
        max_target: 1 << 30,
        max_window: 16 << 20,
        max_segment: 64 << 20,
        max_source_reads: 1 << 30,
        max_dict: 64 << 20,
    }
}

fn run(delta: &[u8], source: &[u8]) -> Result<Vec<u8>> {
    run_with(delta, source, &limits())
}

fn run_with(delta: &[u8], source: &[u8], l: &Limits) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let n = decode(delta, source, l, |w| {
        out.extend_from_slice(&w);
        Ok(())
    })?;
    assert_eq!(n, out.len() as u64);
    Ok(out)
}

fn vint(mut v: u64) -> Vec<u8> {
    let mut digits = vec![(v & 0x7F) as u8];
    v >>= 7;
    while v > 0 {
        digits.push((v & 0x7F) as u8 | 0x80);
        v >>= 7;
    }
    digits.reverse();
    digits
}

/// A window built by hand: instructions with explicit sizes (single-instruction codes).
#[derive(Default)]
struct Win {
    segment: Option<(u64, u64)>,
    target_len: u64,
    data: Vec<u8>,
    inst: Vec<u8>,
    addr: Vec<u8>,
    adler: Option<u32>,
}

impl Win {
    fn add(mut self, bytes: &[u8]) -> Self {
        self.inst.push(1);
        self.inst.extend(vint(bytes.len() as u64));
        self.data.extend_from_slice(bytes);
        self
    }
    fn run(mut self, b: u8, n: u64) -> Self {
        self.inst.push(0);
        self.inst.extend(vint(n));
        self.data.push(b);
        self
    }
    /// COPY with address mode `mode` and its raw address bytes.
    fn copy(mut self, n: u64, mode: u8, addr: &[u8]) -> Self {
        self.inst.push(19 + 16 * mode);
        self.inst.extend(vint(n));
        self.addr.extend_from_slice(addr);
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let mut w = Vec::new();
        let mut ind = 0;
        if self.segment.is_some() {
            ind |= VCD_SOURCE;
        }
        if self.adler.is_some() {
            ind |= VCD_ADLER32;
        }
        w.push(ind);
        if let Some((len, pos)) = self.segment {
            w.extend(vint(len));
            w.extend(vint(pos));
        }
        let mut enc = vint(self.target_len);
        enc.push(0);
        enc.extend(vint(self.data.len() as u64));
        enc.extend(vint(self.inst.len() as u64));
        enc.extend(vint(self.addr.len() as u64));
        if let Some(a) = self.adler {
            enc.extend(a.to_be_bytes());
        }
        enc.extend(&self.data);
        enc.extend(&self.inst);
        enc.extend(&self.addr);
        w.extend(vint(enc.len() as u64));
        w.extend(enc);
        w
    }
}

fn delta(windows: &[Win]) -> Vec<u8> {
    let mut d = vec![0xD6, 0xC3, 0xC4, 0x00, 0x00];
    for w in windows {
        d.extend(w.bytes());
    }
    d
}

#[test]
fn add_run_and_copies_within_the_target() {
    let w = Win {
        target_len: 13,
        ..Default::default()
    }
    .add(b"ab")
    .copy(6, 0, &[0]) // VCD_SELF 0, overlapping: abababab
    .run(b'z', 3)
    .copy(2, 1, &[11]); // VCD_HERE: 11 back from 11 → address 0: "ab"
    assert_eq!(run(&delta(&[w]), b"").unwrap(), b"ababababzzzab");
}

#[test]
fn source_segment_and_the_near_and_same_caches() {
    let source = b"0123456789hello world";
    // Segment = "hello world" (offset 10, 11 bytes).
    let w = Win {
        segment: Some((11, 10)),
        target_len: 17,
        ..Default::default()
    }
    .copy(5, 0, &[6]) // "world" (SELF 6)
    .add(b" ")
    .copy(5, 2, &[vint(0)[0]]) // near[0] = 6 → +0: "world"... then re-copy "hello" via SELF
    .copy(5, 0, &[0]) // "hello"
    .copy(1, 6, &[6]); // same cache, mode 6 = same block 0: same[6] = 6 → "w"
    assert_eq!(run(&delta(&[w]), source).unwrap(), b"world worldhellow");
}

#[test]
fn address_caches_start_empty_in_each_window() {
    let source = b"hello world";
    let first = Win {
        segment: Some((11, 0)),
        target_len: 5,
        ..Default::default()
    }
    .copy(5, 0, &[6]); // "world"; same[6] = 6, near[0] = 6
    let second = Win {
        segment: Some((11, 0)),
        target_len: 2,
        ..Default::default()
    }
    .copy(1, 6, &[6]) // same[6] of this window: empty → address 0, "h"
    .copy(1, 2, &[4]); // near[0] = 0 (set by the copy before) + 4: "o"
    assert_eq!(run(&delta(&[first, second]), source).unwrap(), b"worldho");
}

#[test]
fn many_tiny_windows_cost_little() {
    let windows: Vec<Win> = (0..100_000u32)
        .map(|i| {
            Win {
                target_len: 1,
                ..Default::default()
            }
            .add(&[(i % 251) as u8])
        })
        .collect();
    let empty: Vec<Win> = (0..100_000).map(|_| Win::default()).collect();
    let started = std::time::Instant::now();
    let out = run(&delta(&windows), b"").unwrap();
    assert_eq!(out.len(), 100_000);
    assert_eq!(run(&delta(&empty), b"").unwrap(), b"");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn several_windows_and_an_adler32_checksum() {
    let first = Win {
        target_len: 3,
        adler: Some(adler2::adler32_slice(b"abc")),
        ..Default::default()
    }
    .add(b"abc");
    let second = Win {
        segment: Some((2, 1)),
        target_len: 4,
        ..Default::default()
    }
    .copy(2, 0, &[0])
    .copy(2, 0, &[0]);
    assert_eq!(run(&delta(&[first, second]), b"xyz").unwrap(), b"abcyzyz");

    let bad = Win {
        target_len: 3,
        adler: Some(adler2::adler32_slice(b"abd")),
        ..Default::default()
    }
    .add(b"abc");
    assert!(matches!(
        run(&delta(&[bad]), b""),
        Err(Error::Invalid("window checksum mismatch"))
    ));
}

#[test]
fn a_header_alone_is_an_empty_target() {
    assert_eq!(run(&delta(&[]), b"").unwrap(), b"");
    // With an application header, skipped.
    let mut d = vec![0xD6, 0xC3, 0xC4, 0x00, VCD_APPHEADER, 3, b'a', b'/', b'b'];
    d.extend(
        Win {
            target_len: 1,
            ..Default::default()
        }
        .add(b"q")
        .bytes(),
    );
    assert_eq!(run(&d, b"").unwrap(), b"q");
}

#[test]
fn every_code_table_entry_is_well_formed() {
    let mut adds = 0;
    let mut copies = [0; 9];
    for code in 0..=255u8 {
        let [a, b] = code_table(code);
        assert_ne!(a, Half::Noop, "code {code}");
        for h in [a, b] {
            match h {
                Half::Add(s) => {
                    assert!(s <= 17);
                    adds += 1;
                }
                Half::Copy(s, m) => {
                    assert!(m <= 8 && (s == 0 || (4..=18).contains(&s)), "{code}");
                    copies[m as usize] += 1;
                }
                _ => {}
            }
        }
    }
    // RFC 3284 §5.6: 18 single ADDs, 72 + 12 paired ADDs and 9 trailing ADDs.
    assert_eq!(adds, 18 + 72 + 12 + 9);
    assert_eq!(code_table(20), [Half::Copy(4, 0), Half::Noop]);
    assert_eq!(code_table(162), [Half::Copy(18, 8), Half::Noop]);
    assert_eq!(code_table(163), [Half::Add(1), Half::Copy(4, 0)]);
    assert_eq!(code_table(234), [Half::Add(4), Half::Copy(6, 5)]);
    assert_eq!(code_table(235), [Half::Add(1), Half::Copy(4, 6)]);
    assert_eq!(code_table(246), [Half::Add(4), Half::Copy(4, 8)]);
    assert_eq!(code_table(255), [Half::Copy(4, 8), Half::Add(1)]);
    assert_eq!(copies[0], 16 + 12 + 1);
    assert_eq!(copies[8], 16 + 4 + 1);
}

// ------------------------------------------------------------------------------------------
// Hostile input

fn is_clean_error(r: &Result<Vec<u8>>) -> bool {
    matches!(
        r,
        Err(Error::Invalid(_) | Error::Unsupported(_) | Error::Limit(_) | Error::TargetTooLong)
    )
}

#[test]
fn wrong_magic_version_and_refused_features() {
    assert!(matches!(run(b"", b""), Err(Error::Invalid(_))));
    assert!(matches!(run(b"PK\x03\x04", b""), Err(Error::Invalid(_))));
    assert!(matches!(
        run(&[0xD6, 0xC3, 0xC4, 0x53, 0], b""),
        Err(Error::Unsupported(_))
    ));
    // A code table, djw and fgk secondary compression, an unknown compressor, VCD_TARGET.
    for d in [
        vec![0xD6, 0xC3, 0xC4, 0, VCD_CODETABLE, 1, 0],
        vec![0xD6, 0xC3, 0xC4, 0, VCD_DECOMPRESS, SEC_DJW],
        vec![0xD6, 0xC3, 0xC4, 0, VCD_DECOMPRESS, SEC_FGK],
        vec![0xD6, 0xC3, 0xC4, 0, 0, VCD_TARGET, 1, 0, 5, 1, 0, 0, 0, 0],
    ] {
        assert!(matches!(run(&d, b"x"), Err(Error::Unsupported(_))), "{d:?}");
    }
    assert!(matches!(
        run(&[0xD6, 0xC3, 0xC4, 0, VCD_DECOMPRESS, 9], b""),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        run(&[0xD6, 0xC3, 0xC4, 0, 0x08], b""),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn huge_declared_sizes_fail_before_allocating() {
    // A window declaring a 2^60-byte target, a 2^60-byte source segment, a 2^60 app header,
    // sections longer than the delta, a varint that overflows.
    let mut d = delta(&[]);
    d.push(0);
    d.extend(vint(1 << 60));
    d.extend([1, 0, 0, 1, 0, 1]);
    assert!(matches!(
        run(&d, b""),
        Err(Error::Invalid("truncated window"))
    ));

    let mut d = delta(&[]);
    let mut enc = vint(1 << 60);
    enc.extend([0, 0, 0, 0]);
    d.push(0);
    d.extend(vint(enc.len() as u64));
    d.extend(enc);
    assert!(matches!(run(&d, b""), Err(Error::Limit(_))));

    let mut small = limits();
    small.max_target = 10;
    let w = Win {
        target_len: 11,
        ..Default::default()
    }
    .add(b"0123456789a");
    assert!(matches!(
        run_with(&delta(&[w]), b"", &small),
        Err(Error::TargetTooLong)
    ));

    let w = Win {
        segment: Some((1 << 60, 0)),
        target_len: 1,
        ..Default::default()
    }
    .add(b"a");
    assert!(matches!(run(&delta(&[w]), b"abc"), Err(Error::Invalid(_))));

    let mut tight = limits();
    tight.max_segment = 2;
    let w = Win {
        segment: Some((3, 0)),
        target_len: 1,
        ..Default::default()
    }
    .add(b"a");
    assert!(matches!(
        run_with(&delta(&[w]), b"abc", &tight),
        Err(Error::Limit(_))
    ));
    let mut budget = limits();
    budget.max_source_reads = 5;
    let w = || {
        Win {
            segment: Some((3, 0)),
            target_len: 1,
            ..Default::default()
        }
        .copy(1, 0, &[0])
    };
    assert!(matches!(
        run_with(&delta(&[w(), w()]), b"abc", &budget),
        Err(Error::Limit(_))
    ));

    let d = [
        0xD6,
        0xC3,
        0xC4,
        0,
        VCD_APPHEADER,
        0x90,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0x80,
        0,
    ];
    assert!(matches!(run(&d, b""), Err(Error::Invalid(_))));
    let d = [
        0xD6,
        0xC3,
        0xC4,
        0,
        VCD_APPHEADER,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0xFF,
        0x7F,
    ];
    assert!(matches!(run(&d, b""), Err(Error::Invalid(_))));
}

#[test]
fn inconsistent_windows_are_invalid() {
    let cases: Vec<(Win, &[u8])> = vec![
        // Copy from the address being written (here) and beyond.
        (
            Win {
                target_len: 2,
                ..Default::default()
            }
            .add(b"a")
            .copy(1, 0, &[1]),
            b"",
        ),
        (
            Win {
                target_len: 2,
                ..Default::default()
            }
            .add(b"a")
            .copy(1, 0, &[0x81, 0]),
            b"",
        ),
        // VCD_HERE further back than the window's start.
        (
            Win {
                target_len: 2,
                ..Default::default()
            }
            .add(b"a")
            .copy(1, 1, &[2]),
            b"",
        ),
        // Instructions longer / shorter than the target window.
        (
            Win {
                target_len: 2,
                ..Default::default()
            }
            .add(b"abc"),
            b"",
        ),
        (
            Win {
                target_len: 4,
                ..Default::default()
            }
            .add(b"abc"),
            b"",
        ),
        // ADD with too little data; zero-size RUN.
        (
            Win {
                target_len: 3,
                data: vec![],
                inst: vec![1, 3],
                ..Default::default()
            },
            b"",
        ),
        (
            Win {
                target_len: 1,
                ..Default::default()
            }
            .run(b'a', 0),
            b"",
        ),
        // Leftover data and addresses.
        (
            Win {
                target_len: 1,
                data: b"ab".to_vec(),
                inst: vec![1, 1],
                ..Default::default()
            },
            b"",
        ),
        (
            Win {
                target_len: 1,
                ..Default::default()
            }
            .add(b"a")
            .copy(0, 0, &[]),
            b"",
        ),
        (
            Win {
                target_len: 1,
                addr: vec![0],
                ..Default::default()
            }
            .add(b"a"),
            b"",
        ),
    ];
    for (i, (w, src)) in cases.into_iter().enumerate() {
        let r = run(&delta(&[w]), src);
        assert!(is_clean_error(&r), "case {i}: {:?}", r.map(|v| v.len()));
    }
    // The window's length must match its sections exactly.
    let mut d = delta(&[Win {
        target_len: 1,
        ..Default::default()
    }
    .add(b"a")]);
    d[6] += 1;
    d.push(0);
    assert!(matches!(run(&d, b""), Err(Error::Invalid(_))));
}

/// xorshift, for reproducible noise without a dependency.
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let source = noise.bytes(4096);
    for i in 0..3000 {
        let len = (noise.next() % 300) as usize;
        let mut d = noise.bytes(len);
        if i % 2 == 0 {
            // Past the magic, so the window parser sees the noise.
            let mut h = vec![0xD6, 0xC3, 0xC4, 0, (noise.next() % 8) as u8];
            if h[4] & VCD_DECOMPRESS != 0 {
                h.push(SEC_LZMA);
            }
            h.append(&mut d);
            d = h;
        }
        let r = run(&d, &source);
        assert!(r.is_ok() || is_clean_error(&r), "{r:?}");
    }
}

// ------------------------------------------------------------------------------------------
// Real xdelta3 deltas

/// Runs `xdelta3 -e <args> -s OLD NEW` and returns the delta. The program is required: CI
/// installs the Debian package `xdelta3`.
pub fn xdelta3(args: &[&str], old: &[u8], new: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (o, n, p) = (
        dir.path().join("old"),
        dir.path().join("new"),
        dir.path().join("p"),
    );
    std::fs::write(&o, old).unwrap();
    std::fs::write(&n, new).unwrap();
    let status = Command::new("xdelta3")
        .arg("-e")
        .args(args)
        .arg("-s")
        .args([&o, &n, &p])
        .status()
        .unwrap_or_else(|e| {
            panic!("xdelta3 is required for these tests (apt-get install xdelta3): {e}")
        });
    assert!(status.success(), "xdelta3 failed");
    std::fs::read(p).unwrap()
}

/// Text-like bytes that compress (so xdelta3's LZMA sections are used) plus noise.
fn corpus(noise: &mut Noise, len: usize) -> Vec<u8> {
    let words: [&[u8]; 6] = [
        b"alpha ",
        b"beta ",
        b"gamma ",
        b"delta\n",
        b"epsilon ",
        b"zeta ",
    ];
    let mut v = Vec::with_capacity(len + 16);
    while v.len() < len {
        if noise.next().is_multiple_of(9) {
            v.extend(noise.bytes(5));
        } else {
            v.extend_from_slice(words[(noise.next() % 6) as usize]);
        }
    }
    v.truncate(len);
    v
}

fn edit(noise: &mut Noise, old: &[u8]) -> Vec<u8> {
    let mut new = Vec::new();
    let mut at = 0;
    while at < old.len() {
        let keep = (noise.next() % 20_000) as usize;
        new.extend_from_slice(&old[at..(at + keep).min(old.len())]);
        at += keep + (noise.next() % 50) as usize;
        let n = (noise.next() % 300) as usize;
        new.extend(corpus(noise, n));
    }
    new
}

#[test]
fn deltas_made_by_xdelta3_decode() {
    let mut noise = Noise(42);
    let old = corpus(&mut noise, 300_000);
    let new = edit(&mut noise, &old);
    let reordered = [&new[150_000..], &new[..150_000]].concat();
    let cases: Vec<(Vec<&str>, &[u8], &[u8])> = vec![
        (vec![], &old, &new),              // Debian default: LZMA secondary
        (vec!["-S", "none"], &old, &new),  // plain sections
        (vec!["-W", "16384"], &old, &new), // many windows, LZMA state carried over
        (vec!["-W", "16384", "-S", "none"], &old, &reordered),
        (vec!["-9"], &old, &reordered),
        (vec!["-0"], &old, &new),
        (vec![], b"", &new), // no source at all
        (vec![], &old, b""), // an empty target
        (vec![], &old, &old),
        (vec!["-n"], &old, &new), // without window checksums
    ];
    for (args, old, new) in cases {
        let d = xdelta3(&args, old, new);
        if args.is_empty() && !old.is_empty() && !new.is_empty() {
            assert_eq!(
                (d[4] & VCD_DECOMPRESS, d[5]),
                (VCD_DECOMPRESS, SEC_LZMA),
                "the default delta uses LZMA secondary compression"
            );
        }
        let got = run(&d, old).unwrap_or_else(|e| panic!("xdelta3 {args:?}: {e}"));
        assert!(got == new, "xdelta3 {args:?}: wrong target");
    }
}

#[test]
fn xdelta3_djw_and_fgk_are_refused() {
    let mut noise = Noise(7);
    let old = corpus(&mut noise, 50_000);
    let new = edit(&mut noise, &old);
    for s in ["djw", "fgk"] {
        let d = xdelta3(&["-S", s], &old, &new);
        assert!(matches!(run(&d, &old), Err(Error::Unsupported(_))), "{s}");
    }
}

#[test]
fn damaged_xdelta3_deltas_fail_cleanly() {
    let mut noise = Noise(3);
    let old = corpus(&mut noise, 60_000);
    let new = edit(&mut noise, &old);
    for args in [vec!["-W", "16384"], vec!["-W", "16384", "-S", "none"]] {
        let d = xdelta3(&args, &old, &new);
        // Every strict prefix: an error, or (cut at a window boundary) a shorter target.
        let step = (d.len() / 400).max(1);
        for cut in (0..d.len()).step_by(step) {
            match run(&d[..cut], &old) {
                Ok(t) => assert!(t.len() < new.len() && new.starts_with(&t), "cut {cut}"),
                Err(e) => assert!(
                    !matches!(e, Error::Io(_) | Error::Output(_)),
                    "cut {cut}: {e}"
                ),
            }
        }
        // Flipped bits anywhere: never a panic; a wrong target never passes silently
        // (checksums), except where the flip hit a byte that does not matter.
        for _ in 0..600 {
            let mut m = d.clone();
            let i = (noise.next() as usize) % m.len();
            m[i] ^= 1 << (noise.next() % 8);
            if let Ok(t) = run(&m, &old) {
                assert!(
                    t == new,
                    "a flipped bit at {i} decoded to a different target"
                );
            }
        }
        // The wrong source: the checksums catch it.
        let mut other = old.clone();
        other[1000] ^= 0xFF;
        other[30_000] ^= 0xFF;
        assert!(run(&d, &other).is_err());
    }
}

#[test]
fn a_file_reads_at_offsets() {
    let mut noise = Noise(11);
    let old = corpus(&mut noise, 70_000);
    let new = edit(&mut noise, &old);
    let d = xdelta3(&[], &old, &new);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d"), &d).unwrap();
    std::fs::write(dir.path().join("s"), &old).unwrap();
    let df = FileAt::new(std::fs::File::open(dir.path().join("d")).unwrap()).unwrap();
    let sf = FileAt::new(std::fs::File::open(dir.path().join("s")).unwrap()).unwrap();
    let mut out = Vec::new();
    decode(&df, &sf, &limits(), |w| {
        out.extend(w);
        Ok(())
    })
    .unwrap();
    assert!(out == new);
}
