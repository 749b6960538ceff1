//! A VCDIFF (RFC 3284) decoder for the deltas `upload/patch` receives: what `xdelta3 -e -s OLD
//! NEW` writes, including xdelta3's extensions — the application header, Adler-32 window
//! checksums, and LZMA secondary compression of the sections (Debian's xdelta3 turns it on by
//! default: `-S lzma`; `-S none` turns it off). Anything else is refused with an error, never
//! guessed: a custom code table, `VCD_TARGET` windows (xdelta3's own decoder does not implement
//! them either), the djw and fgk secondary compressors.
//!
//! The delta and the source are read through [`ReadAt`] (a file, or bytes in tests) and the
//! target comes out one window at a time, so memory is bounded by [`Limits`], not by what a
//! hostile delta declares: a target window (at most `max_window`), its source segment (at most
//! `max_segment`, and all segments together at most `max_source_reads`), small read buffers,
//! and one LZMA dictionary per section kind (at most `max_dict`, filled only as output is
//! produced). Sections are never materialised: the instruction, address and data streams are
//! read (and decompressed) only as far as the instructions consume them.
//!
//! xdelta3's LZMA sections: each section kind (data, instructions, addresses) has one xz stream
//! for the whole delta (LZMA2 filter, no integrity check, never finished); every window that
//! compresses the section appends one sync-flushed piece to it, prefixed with the decompressed
//! length as a VCDIFF integer. The decoder's LZMA state carries over from window to window.

use std::io;

use lzma_rust2::{Action, Lzma2Stream};

/// Random-access reading (a file, or bytes in tests).
pub trait ReadAt {
    /// Total length in bytes.
    fn size(&self) -> u64;
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// A file read at offsets (its length taken once, when opened).
pub struct FileAt {
    file: std::fs::File,
    len: u64,
}

impl FileAt {
    pub fn new(file: std::fs::File) -> io::Result<FileAt> {
        let len = file.metadata()?.len();
        Ok(FileAt { file, len })
    }
}

impl ReadAt for FileAt {
    fn size(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// What may be spent on one delta.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The target may not be longer (the declared `target_size`).
    pub max_target: u64,
    /// The largest target window (xdelta3 writes at most 16 MiB; 8 MiB by default).
    pub max_window: u64,
    /// The largest source segment of one window (held in memory while the window decodes).
    pub max_segment: u64,
    /// Source bytes read for all windows together.
    pub max_source_reads: u64,
    /// The largest LZMA dictionary of a secondary-compressed section.
    pub max_dict: u32,
}

/// Why a delta was not applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not valid VCDIFF, or inconsistent with itself or the source (truncated, an address out of
    /// range, a section shorter or longer than its instructions, a checksum mismatch …).
    #[error("invalid delta: {0}")]
    Invalid(&'static str),
    /// Valid VCDIFF using a feature this decoder refuses.
    #[error("unsupported delta: {0}")]
    Unsupported(&'static str),
    /// Over one of the [`Limits`] other than the target size.
    #[error("delta over a limit: {0}")]
    Limit(&'static str),
    /// The target would be longer than `max_target`.
    #[error("the target is longer than declared")]
    TargetTooLong,
    /// Reading the delta or the source failed.
    #[error("reading: {0}")]
    Io(io::Error),
    /// The output callback failed.
    #[error("writing: {0}")]
    Output(io::Error),
}

type Result<T> = std::result::Result<T, Error>;

const MAGIC: [u8; 4] = [0xD6, 0xC3, 0xC4, 0x00];
// Header indicator.
const VCD_DECOMPRESS: u8 = 0x01;
const VCD_CODETABLE: u8 = 0x02;
const VCD_APPHEADER: u8 = 0x04;
// Window indicator (VCD_ADLER32 is xdelta3's).
const VCD_SOURCE: u8 = 0x01;
const VCD_TARGET: u8 = 0x02;
const VCD_ADLER32: u8 = 0x04;
// Secondary compressor ids (xdelta3).
const SEC_DJW: u8 = 1;
const SEC_LZMA: u8 = 2;
const SEC_FGK: u8 = 16;
// Size of the address caches of the default code table.
const S_NEAR: usize = 4;
const S_SAME: usize = 3;
const BUF: usize = 64 * 1024;

/// Applies `delta` to `source`, handing each decoded target window to `out` in order.
/// Returns the target's length. On an error, the windows already handed out are garbage to
/// the caller (nothing may be kept).
pub fn decode(
    delta: &(impl ReadAt + ?Sized),
    source: &(impl ReadAt + ?Sized),
    limits: &Limits,
    mut out: impl FnMut(Vec<u8>) -> io::Result<()>,
) -> Result<u64> {
    let mut cur = Cursor::new(delta, 0, delta.size());
    let mut magic = [0u8; 4];
    for b in &mut magic {
        *b = cur.byte()?;
    }
    if magic[..3] != MAGIC[..3] {
        return Err(Error::Invalid("not a VCDIFF delta"));
    }
    if magic[3] != MAGIC[3] {
        return Err(Error::Unsupported("VCDIFF version"));
    }
    let hdr = cur.byte()?;
    if hdr & !(VCD_DECOMPRESS | VCD_CODETABLE | VCD_APPHEADER) != 0 {
        return Err(Error::Invalid("header indicator"));
    }
    let secondary = if hdr & VCD_DECOMPRESS != 0 {
        match cur.byte()? {
            SEC_LZMA => true,
            SEC_DJW | SEC_FGK => return Err(Error::Unsupported("djw/fgk secondary compression")),
            _ => return Err(Error::Invalid("secondary compressor id")),
        }
    } else {
        false
    };
    if hdr & VCD_CODETABLE != 0 {
        return Err(Error::Unsupported("application-defined code table"));
    }
    if hdr & VCD_APPHEADER != 0 {
        let n = cur.varint()?;
        cur.skip(n)?;
    }

    let mut lzma: [Option<Lzma2Stream>; 3] = [None, None, None];
    let mut total: u64 = 0;
    let mut source_reads: u64 = 0;
    let mut cache = Cache::new();
    while !cur.at_end() {
        let win = cur.byte()?;
        if win & !(VCD_SOURCE | VCD_TARGET | VCD_ADLER32) != 0 {
            return Err(Error::Invalid("window indicator"));
        }
        if win & VCD_TARGET != 0 {
            return Err(Error::Unsupported("VCD_TARGET windows"));
        }
        let segment = if win & VCD_SOURCE != 0 {
            let len = cur.varint()?;
            let pos = cur.varint()?;
            if pos.checked_add(len).is_none_or(|end| end > source.size()) {
                return Err(Error::Invalid("source segment outside the source"));
            }
            Some((pos, len))
        } else {
            None
        };
        let enc_len = cur.varint()?;
        let enc_start = cur.pos;
        let enc_end = enc_start
            .checked_add(enc_len)
            .filter(|e| *e <= delta.size())
            .ok_or(Error::Invalid("truncated window"))?;
        let target_len = cur.varint()?;
        if target_len > limits.max_window {
            return Err(Error::Limit("target window too large"));
        }
        if total.saturating_add(target_len) > limits.max_target {
            return Err(Error::TargetTooLong);
        }
        let del = cur.byte()?;
        if del & !0x07 != 0 {
            return Err(Error::Invalid("delta indicator"));
        }
        if del != 0 && !secondary {
            return Err(Error::Invalid(
                "compressed section without a secondary compressor",
            ));
        }
        let lens = [cur.varint()?, cur.varint()?, cur.varint()?];
        let checksum = if win & VCD_ADLER32 != 0 {
            let mut b = [0u8; 4];
            for x in &mut b {
                *x = cur.byte()?;
            }
            Some(u32::from_be_bytes(b))
        } else {
            None
        };
        let mut at = cur.pos;
        let mut bounds = [(0u64, 0u64); 3];
        for (i, len) in lens.iter().enumerate() {
            let end = at
                .checked_add(*len)
                .ok_or(Error::Invalid("section length"))?;
            bounds[i] = (at, end);
            at = end;
        }
        if at != enc_end {
            return Err(Error::Invalid("window length does not match its sections"));
        }

        let seg = match segment {
            None => Vec::new(),
            Some((pos, len)) => {
                if len > limits.max_segment {
                    return Err(Error::Limit("source segment too large"));
                }
                source_reads = source_reads.saturating_add(len);
                if source_reads > limits.max_source_reads {
                    return Err(Error::Limit("too many source reads"));
                }
                let mut v = vec![0u8; len as usize];
                if read_full(source, pos, &mut v)? != v.len() {
                    return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
                }
                v
            }
        };

        let [l_data, l_inst, l_addr] = &mut lzma;
        let mut data = Section::open(delta, bounds[0], del & 0x01 != 0, l_data, limits)?;
        let mut inst = Section::open(delta, bounds[1], del & 0x02 != 0, l_inst, limits)?;
        let mut addr = Section::open(delta, bounds[2], del & 0x04 != 0, l_addr, limits)?;
        let target = decode_window(
            &seg, target_len, &mut data, &mut inst, &mut addr, &mut cache,
        )?;
        data.finish()?;
        inst.finish()?;
        addr.finish()?;
        if let Some(sum) = checksum {
            if adler2::adler32_slice(&target) != sum {
                return Err(Error::Invalid("window checksum mismatch"));
            }
        }
        total += target_len;
        out(target).map_err(Error::Output)?;
        cur.seek(enc_end);
    }
    Ok(total)
}

fn read_full(r: &(impl ReadAt + ?Sized), offset: u64, buf: &mut [u8]) -> Result<usize> {
    r.read_at(offset, buf).map_err(Error::Io)
}

/// One window's instructions, with the default code table and address caches.
fn decode_window<R: ReadAt + ?Sized>(
    seg: &[u8],
    target_len: u64,
    data: &mut Section<'_, R>,
    inst: &mut Section<'_, R>,
    addr: &mut Section<'_, R>,
    cache: &mut Cache,
) -> Result<Vec<u8>> {
    let tl = target_len as usize;
    let mut t: Vec<u8> = Vec::with_capacity(tl);
    cache.reset();
    let seg_len = seg.len() as u64;
    while !inst.at_end()? {
        let code = inst.byte()?;
        for half in code_table(code) {
            let (kind, size, mode) = match half {
                Half::Noop => continue,
                Half::Add(s) => (Kind::Add, s, 0),
                Half::Run(s) => (Kind::Run, s, 0),
                Half::Copy(s, m) => (Kind::Copy, s, m),
            };
            let size = if size == 0 {
                inst.varint()?
            } else {
                u64::from(size)
            };
            if size == 0 {
                return Err(Error::Invalid("instruction of size 0"));
            }
            if (t.len() as u64).saturating_add(size) > target_len {
                return Err(Error::Invalid("instructions overrun the target window"));
            }
            let size = size as usize;
            match kind {
                Kind::Add => data.read_into(size, &mut t)?,
                Kind::Run => {
                    let b = data.byte()?;
                    t.resize(t.len() + size, b);
                }
                Kind::Copy => {
                    let here = seg_len + t.len() as u64;
                    let a = match mode {
                        0 => addr.varint()?,
                        1 => here
                            .checked_sub(addr.varint()?)
                            .ok_or(Error::Invalid("address before the window"))?,
                        m if (m as usize) < 2 + S_NEAR => cache.near[m as usize - 2]
                            .checked_add(addr.varint()?)
                            .ok_or(Error::Invalid("address overflow"))?,
                        m => cache.same((m as usize - 2 - S_NEAR) * 256 + addr.byte()? as usize),
                    };
                    if a >= here {
                        return Err(Error::Invalid("copy address out of range"));
                    }
                    cache.update(a);
                    copy(seg, &mut t, a, size);
                }
            }
        }
    }
    if t.len() != tl {
        return Err(Error::Invalid("instructions end before the target window"));
    }
    Ok(t)
}

/// COPY `size` bytes from address `a` (< here) of the window's address space: the source
/// segment, then the target decoded so far (an overlapping copy repeats what it copies).
fn copy(seg: &[u8], t: &mut Vec<u8>, a: u64, size: usize) {
    let mut left = size;
    let mut a = a;
    let seg_len = seg.len() as u64;
    if a < seg_len {
        let from = a as usize;
        let n = left.min(seg.len() - from);
        t.extend_from_slice(&seg[from..from + n]);
        left -= n;
        a += n as u64;
    }
    if left == 0 {
        return;
    }
    let mut from = (a - seg_len) as usize;
    while left > 0 {
        let n = left.min(t.len() - from);
        t.extend_from_within(from..from + n);
        from += n;
        left -= n;
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Add,
    Run,
    Copy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Half {
    Noop,
    /// ADD of a size (0 = the size follows in the instruction section).
    Add(u8),
    Run(u8),
    /// COPY of a size with an address mode.
    Copy(u8, u8),
}

/// The default code table of RFC 3284 §5.6, entry `code`.
fn code_table(code: u8) -> [Half; 2] {
    use Half::*;
    match code {
        0 => [Run(0), Noop],
        1..=18 => [Add(code - 1), Noop],
        19..=162 => {
            let i = code - 19;
            let (mode, k) = (i / 16, i % 16);
            [Copy(if k == 0 { 0 } else { k + 3 }, mode), Noop]
        }
        163..=234 => {
            let i = code - 163;
            let (mode, rest) = (i / 12, i % 12);
            [Add(rest / 3 + 1), Copy(rest % 3 + 4, mode)]
        }
        235..=246 => {
            let i = code - 235;
            [Add(i % 4 + 1), Copy(4, i / 4 + 6)]
        }
        247..=255 => [Copy(4, code - 247), Add(1)],
    }
}

/// Buffered sequential reading of `[pos, end)` of a [`ReadAt`].
struct Cursor<'a, R: ?Sized> {
    r: &'a R,
    /// Position of the next byte to hand out.
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    /// `buf[at..len]` holds the bytes from `pos` on.
    at: usize,
    len: usize,
}

impl<'a, R: ReadAt + ?Sized> Cursor<'a, R> {
    fn new(r: &'a R, pos: u64, end: u64) -> Self {
        Cursor {
            r,
            pos,
            end,
            buf: Vec::new(),
            at: 0,
            len: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    /// The buffered bytes from `pos` (refilled when empty); empty only at the end.
    fn fill(&mut self) -> Result<&[u8]> {
        if self.at == self.len && self.pos < self.end {
            let want = BUF.min((self.end - self.pos) as usize);
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
            let n = read_full(self.r, self.pos, &mut self.buf[..want])?;
            if n != want {
                return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            self.at = 0;
            self.len = n;
        }
        Ok(&self.buf[self.at..self.len])
    }

    fn consume(&mut self, n: usize) {
        self.at += n;
        self.pos += n as u64;
    }

    fn byte(&mut self) -> Result<u8> {
        match self.fill()?.first() {
            Some(&b) => {
                self.consume(1);
                Ok(b)
            }
            None => Err(Error::Invalid("truncated")),
        }
    }

    fn varint(&mut self) -> Result<u64> {
        varint(|| self.byte())
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        if self.end - self.pos < n {
            return Err(Error::Invalid("truncated"));
        }
        self.seek(self.pos + n);
        Ok(())
    }

    /// Moves to `pos`, keeping the buffer when `pos` is inside it.
    fn seek(&mut self, pos: u64) {
        let start = self.pos - self.at as u64;
        if pos >= start && pos <= start + self.len as u64 {
            self.at = (pos - start) as usize;
        } else {
            self.at = 0;
            self.len = 0;
        }
        self.pos = pos;
    }
}

/// The address caches of RFC 3284 §5.1 (`near` and `same`), emptied at each window in
/// constant time: `same` entries of earlier windows are told apart by a generation number.
struct Cache {
    near: [u64; S_NEAR],
    next_near: usize,
    same: Vec<(u32, u64)>,
    generation: u32,
}

impl Cache {
    fn new() -> Self {
        Cache {
            near: [0; S_NEAR],
            next_near: 0,
            same: vec![(0, 0); S_SAME * 256],
            generation: 0,
        }
    }

    fn reset(&mut self) {
        self.near = [0; S_NEAR];
        self.next_near = 0;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.same.fill((0, 0));
            self.generation = 1;
        }
    }

    fn same(&self, i: usize) -> u64 {
        match self.same[i] {
            (g, a) if g == self.generation => a,
            _ => 0,
        }
    }

    fn update(&mut self, a: u64) {
        self.near[self.next_near] = a;
        self.next_near = (self.next_near + 1) % S_NEAR;
        self.same[(a % (S_SAME as u64 * 256)) as usize] = (self.generation, a);
    }
}

/// A VCDIFF integer: base 128, most significant digit first, high bit = more digits.
fn varint(mut next: impl FnMut() -> Result<u8>) -> Result<u64> {
    let mut v: u64 = 0;
    for _ in 0..10 {
        let b = next()?;
        if v > (u64::MAX >> 7) {
            return Err(Error::Invalid("integer overflow"));
        }
        v = (v << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Error::Invalid("integer too long"))
}

/// One section of a window: plain bytes, or a piece of xdelta3's LZMA stream for its kind.
enum Section<'a, R: ?Sized> {
    Plain(Cursor<'a, R>),
    Lzma(Box<LzmaSection<'a, R>>),
}

struct LzmaSection<'a, R: ?Sized> {
    input: Cursor<'a, R>,
    stream: &'a mut Lzma2Stream,
    /// Decompressed bytes this window's piece still has to yield.
    left: u64,
    buf: Vec<u8>,
    at: usize,
    len: usize,
}

impl<'a, R: ReadAt + ?Sized> Section<'a, R> {
    fn open(
        r: &'a R,
        (start, end): (u64, u64),
        compressed: bool,
        state: &'a mut Option<Lzma2Stream>,
        limits: &Limits,
    ) -> Result<Self> {
        let mut input = Cursor::new(r, start, end);
        if !compressed {
            return Ok(Section::Plain(input));
        }
        let left = input.varint()?;
        if left == 0 {
            return Err(Error::Invalid("empty compressed section"));
        }
        let stream = match state {
            Some(s) => s,
            None => {
                let dict = xz_headers(&mut input)?;
                if dict > limits.max_dict {
                    return Err(Error::Limit("LZMA dictionary too large"));
                }
                state.insert(Lzma2Stream::new(dict))
            }
        };
        Ok(Section::Lzma(Box::new(LzmaSection {
            input,
            stream,
            left,
            // What a window's piece yields is consumed by its instructions (else the delta is
            // refused), so this stays proportional to the target.
            buf: vec![0u8; BUF.min(usize::try_from(left).unwrap_or(BUF))],
            at: 0,
            len: 0,
        })))
    }

    /// Whether every byte of the section has been read (decompressing one more piece of an
    /// LZMA section if needed to tell).
    fn at_end(&mut self) -> Result<bool> {
        match self {
            Section::Plain(c) => Ok(c.at_end()),
            Section::Lzma(s) => Ok(s.at == s.len && s.left == 0),
        }
    }

    fn byte(&mut self) -> Result<u8> {
        match self {
            Section::Plain(c) => c.byte(),
            Section::Lzma(s) => {
                if s.at == s.len {
                    s.refill()?;
                }
                let b = s.buf[s.at];
                s.at += 1;
                Ok(b)
            }
        }
    }

    fn varint(&mut self) -> Result<u64> {
        varint(|| self.byte())
    }

    /// Appends the next `n` bytes to `out`.
    fn read_into(&mut self, mut n: usize, out: &mut Vec<u8>) -> Result<()> {
        while n > 0 {
            let avail: &[u8] = match self {
                Section::Plain(c) => c.fill()?,
                Section::Lzma(s) => {
                    if s.at == s.len {
                        s.refill()?;
                    }
                    &s.buf[s.at..s.len]
                }
            };
            if avail.is_empty() {
                return Err(Error::Invalid("data section too short"));
            }
            let k = n.min(avail.len());
            out.extend_from_slice(&avail[..k]);
            match self {
                Section::Plain(c) => c.consume(k),
                Section::Lzma(s) => s.at += k,
            }
            n -= k;
        }
        Ok(())
    }

    /// The instructions are done: the section must be used up exactly.
    fn finish(self) -> Result<()> {
        match self {
            Section::Plain(c) if c.at_end() => Ok(()),
            Section::Lzma(s) if s.at == s.len && s.left == 0 && s.input.at_end() => {
                if s.stream.has_output() {
                    return Err(Error::Invalid("compressed section longer than declared"));
                }
                Ok(())
            }
            _ => Err(Error::Invalid("section longer than its instructions")),
        }
    }
}

impl<R: ReadAt + ?Sized> LzmaSection<'_, R> {
    /// Decompresses the next bytes of this window's piece into `buf`.
    fn refill(&mut self) -> Result<()> {
        if self.left == 0 {
            return Err(Error::Invalid("section too short"));
        }
        let want = (self.buf.len() as u64).min(self.left) as usize;
        loop {
            let input = self.input.fill()?;
            let r = self
                .stream
                .process(input, &mut self.buf[..want], Action::Run)
                .map_err(|_| Error::Invalid("corrupt LZMA section"))?;
            self.input.consume(r.bytes_consumed);
            if r.bytes_produced > 0 {
                self.at = 0;
                self.len = r.bytes_produced;
                self.left -= r.bytes_produced as u64;
                return Ok(());
            }
            if r.bytes_consumed == 0 {
                return Err(Error::Invalid("truncated LZMA section"));
            }
        }
    }
}

/// The xz stream header and block header that open each LZMA section stream: checked (magic,
/// CRC-32s, no integrity check, one LZMA2 filter) and the dictionary size returned.
fn xz_headers<R: ReadAt + ?Sized>(c: &mut Cursor<'_, R>) -> Result<u32> {
    let mut stream = [0u8; 12];
    for b in &mut stream {
        *b = c.byte()?;
    }
    if stream[..6] != [0xFD, b'7', b'z', b'X', b'Z', 0x00] {
        return Err(Error::Invalid("LZMA section without an xz header"));
    }
    if crc32fast::hash(&stream[6..8]).to_le_bytes() != stream[8..12] {
        return Err(Error::Invalid("xz stream header checksum"));
    }
    if stream[6..8] != [0, 0] {
        return Err(Error::Unsupported("xz stream flags (an integrity check)"));
    }
    let size_byte = c.byte()?;
    if size_byte == 0 {
        return Err(Error::Invalid("xz stream without a block"));
    }
    let size = (usize::from(size_byte) + 1) * 4;
    let mut h = vec![size_byte];
    for _ in 1..size {
        h.push(c.byte()?);
    }
    let (body, crc) = h.split_at(size - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(Error::Invalid("xz block header checksum"));
    }
    let flags = body[1];
    if flags & 0x3C != 0 {
        return Err(Error::Invalid("xz block flags"));
    }
    if flags & 0x03 != 0 {
        return Err(Error::Unsupported("xz filter chain"));
    }
    let mut p = 2;
    let vli = |p: &mut usize| -> Result<u64> {
        let mut v = 0u64;
        for i in 0..9 {
            let b = *body.get(*p).ok_or(Error::Invalid("xz block header"))?;
            *p += 1;
            v |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(Error::Invalid("xz integer"));
                }
                return Ok(v);
            }
        }
        Err(Error::Invalid("xz integer"))
    };
    if flags & 0x40 != 0 {
        vli(&mut p)?;
    }
    if flags & 0x80 != 0 {
        vli(&mut p)?;
    }
    if vli(&mut p)? != 0x21 {
        return Err(Error::Unsupported("xz filter other than LZMA2"));
    }
    if vli(&mut p)? != 1 {
        return Err(Error::Invalid("LZMA2 filter properties"));
    }
    let props = *body.get(p).ok_or(Error::Invalid("xz block header"))?;
    p += 1;
    if body[p..].iter().any(|b| *b != 0) {
        return Err(Error::Invalid("xz block header padding"));
    }
    match props {
        0..=39 => Ok((2 | u32::from(props & 1)) << (props / 2 + 11)),
        40 => Ok(u32::MAX),
        _ => Err(Error::Invalid("LZMA2 dictionary size")),
    }
}

#[cfg(test)]
mod tests;
