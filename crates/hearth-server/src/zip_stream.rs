//! The bytes of a `file/zip` answer: a zip archive streamed as it is written, with no temp
//! file and constant memory. Entries are stored (no compression); each file's bytes are read
//! from the blob store once, and its CRC-32 is computed on the way, so every file entry uses a
//! data descriptor. The format work is the `zip` crate's streaming writer
//! (`ZipWriter::new_stream`, a non-seekable sink): Zip64 extra fields for entries of 4 GiB or
//! more (flagged up front from the known size), Zip64 offsets past 4 GiB and the Zip64 end
//! records past 65,535 entries.
//!
//! The writer is synchronous, so it runs on a thread of its own and hands the body chunks of
//! about [`CHUNK`] bytes through a channel of [`IN_FLIGHT`] chunks: a slow client slows the
//! writer down instead of growing a buffer, and a client that goes away stops it. A failure
//! after the first byte (a blob that vanished or is shorter than its row says) ends the body
//! with an error, so the client sees a broken transfer, never a valid-looking short archive.

use std::cell::Cell;
use std::io::{self, Read, Seek, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use hearth_core::bulk::ZipEntry;
use hearth_core::tree::FileRow;
use hearth_core::Core;
use tokio::sync::mpsc;
use zip::write::{SimpleFileOptions, ZipWriter};
use zip::{CompressionMethod, DateTime};

/// Body chunk size, and the size of the reads from a blob file.
pub const CHUNK: usize = 256 * 1024;
/// Chunks queued between the writer thread and the connection.
pub const IN_FLIGHT: usize = 4;
/// Entries of this size or more carry Zip64 sizes.
const ZIP64_SIZE: u64 = u32::MAX as u64;

/// Zip downloads streaming at once, process-wide: each holds a writer thread, so more are
/// refused (163) rather than letting anyone make the server spawn threads without bound.
pub const MAX_RUNNING: usize = 32;
static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_RUNNING);

/// A slot for one zip download, held until its writer ends; `None` when all are taken.
pub fn reserve() -> Option<tokio::sync::SemaphorePermit<'static>> {
    RUNNING.try_acquire().ok()
}

/// The streamed archive of `entries` (from [`Core::plan_zip`]), as a response body. `slot`
/// (from [`reserve`]) is released when the writer ends.
pub fn body<S: Send + 'static>(core: Core, entries: Vec<ZipEntry>, slot: S) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(IN_FLIGHT);
    let runtime = tokio::runtime::Handle::current();
    let errors = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("hearth-zip".into())
        .spawn(move || {
            let _slot = slot;
            let gone = Arc::new(AtomicBool::new(false));
            let sink = ChannelSink {
                tx,
                buf: Vec::with_capacity(CHUNK),
                gone: gone.clone(),
            };
            let open = |f: &FileRow| -> io::Result<std::fs::File> {
                runtime.block_on(async {
                    let file = core
                        .open_content(f)
                        .await
                        .map_err(|e| io::Error::other(format!("blob of file {}: {e}", f.id)))?;
                    Ok(file.into_std().await)
                })
            };
            match write_archive(sink, &entries, open).and_then(|mut s| s.send_buffered()) {
                Ok(()) => {}
                Err(_) if gone.load(Ordering::Relaxed) => {
                    tracing::debug!("zip download: the client went away");
                }
                Err(e) => {
                    tracing::error!(error = %e, "zip download broken off");
                    let _ = errors.blocking_send(Err(e));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "zip download: no writer thread");
        let failed: io::Result<Bytes> = Err(e);
        return Body::from_stream(futures_util::stream::iter([failed]));
    }
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// The writer side of the body channel: collects writes into chunks of [`CHUNK`] bytes.
struct ChannelSink {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    /// Set when the receiver is gone (the client disconnected).
    gone: Arc<AtomicBool>,
}

impl ChannelSink {
    fn send_buffered(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(Ok(Bytes::from(chunk))).map_err(|_| {
            self.gone.store(true, Ordering::Relaxed);
            io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for ChannelSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send_buffered()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Passes writes through until `off` is set, then swallows them: once an archive is broken
/// off, nothing more reaches the client — not even the central directory that dropping a
/// `ZipWriter` writes.
struct Cutoff<W> {
    inner: W,
    off: Rc<Cell<bool>>,
}

impl<W: Write> Write for Cutoff<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.off.get() {
            return Ok(data.len());
        }
        self.inner.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.off.get() {
            return Ok(());
        }
        self.inner.flush()
    }
}

/// The archive's DOS time of an entry (UTC; before 1980 or unreadable: 1980-01-01).
fn dos_time(mtime_us: i64) -> DateTime {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(mtime_us.div_euclid(1_000_000)) else {
        return DateTime::default();
    };
    let Ok(year) = u16::try_from(t.year()) else {
        return DateTime::default();
    };
    DateTime::from_date_and_time(
        year,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default()
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// Writes the archive of `entries` to `out`, each file's bytes read from `open(file)` (exactly
/// the row's size, else an error). Returns `out` after the end of central directory.
pub fn write_archive<W: Write, R: Read>(
    out: W,
    entries: &[ZipEntry],
    mut open: impl FnMut(&FileRow) -> io::Result<R>,
) -> io::Result<W> {
    let off = Rc::new(Cell::new(false));
    let mut zip = ZipWriter::new_stream(Cutoff {
        inner: out,
        off: off.clone(),
    });
    match write_entries(&mut zip, entries, &mut open) {
        Ok(()) => {
            let cut = zip.finish().map_err(zip_err)?.into_inner();
            Ok(cut.inner)
        }
        Err(e) => {
            // Dropping the writer finishes the archive: into the void.
            off.set(true);
            drop(zip);
            Err(e)
        }
    }
}

fn write_entries<S: Write + Seek, R: Read>(
    zip: &mut ZipWriter<S>,
    entries: &[ZipEntry],
    open: &mut impl FnMut(&FileRow) -> io::Result<R>,
) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    for e in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(dos_time(e.mtime_us));
        let Some(f) = &e.file else {
            zip.add_directory(e.path.as_str(), options.unix_permissions(0o755))
                .map_err(zip_err)?;
            continue;
        };
        let size = u64::try_from(f.size).unwrap_or(0);
        zip.start_file(
            e.path.as_str(),
            options
                .unix_permissions(0o644)
                .large_file(size >= ZIP64_SIZE),
        )
        .map_err(zip_err)?;
        let mut src = open(f)?;
        let mut left = size;
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            if n as u64 > left {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("blob of file {} is longer than {size} bytes", f.id),
                ));
            }
            zip.write_all(&buf[..n])?;
            left -= n as u64;
        }
        if left > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("blob of file {} is shorter than {size} bytes", f.id),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, SeekFrom};

    use super::*;

    #[test]
    fn zip_downloads_at_once_are_capped() {
        let slots: Vec<_> = (0..MAX_RUNNING).map(|_| reserve().unwrap()).collect();
        assert!(reserve().is_none());
        drop(slots);
        assert!(reserve().is_some());
    }

    fn row(id: i64, size: u64) -> FileRow {
        FileRow {
            id,
            user_id: 1,
            quickkey: String::new(),
            folder_id: 1,
            name: String::new(),
            description: String::new(),
            privacy: "private".into(),
            password_hash: String::new(),
            created_us: 0,
            mtime_us: 0,
            revision: 0,
            trash_state: 0,
            delete_us: 0,
            hash: String::new(),
            size: size as i64,
            downloads: 0,
        }
    }

    fn file(path: &str, id: i64, size: u64) -> ZipEntry {
        ZipEntry {
            path: path.into(),
            file: Some(row(id, size)),
            mtime_us: 1_700_000_000_000_000,
        }
    }

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    /// The content of file `id`: `size` bytes that differ per file.
    fn content(id: i64, size: u64) -> Vec<u8> {
        (0..size).map(|i| (i as i64 * 31 + id) as u8).collect()
    }

    #[test]
    fn more_than_65535_entries_get_the_zip64_end_records() {
        let n = 70_000;
        let mut entries = vec![ZipEntry {
            path: "d/".into(),
            file: None,
            mtime_us: 0,
        }];
        entries.extend((0..n).map(|i| file(&format!("d/f{i}"), i, (i % 3) as u64)));
        let out = write_archive(Vec::new(), &entries, |f| {
            Ok(Cursor::new(content(f.id, f.size as u64)))
        })
        .unwrap();

        // End of central directory: the 16-bit count saturated, and the Zip64 records before it.
        let eocd = out.len() - 22;
        assert_eq!(u32_at(&out, eocd), 0x0605_4b50);
        assert_eq!(u16_at(&out, eocd + 10), 0xffff);
        let locator = eocd - 20;
        assert_eq!(u32_at(&out, locator), 0x0706_4b50);
        let zip64_eocd = u64_at(&out, locator + 8) as usize;
        assert_eq!(u32_at(&out, zip64_eocd), 0x0606_4b50);
        assert_eq!(u64_at(&out, zip64_eocd + 32), n as u64 + 1);

        let mut z = ::zip::ZipArchive::new(Cursor::new(out)).unwrap();
        assert_eq!(z.len(), n as usize + 1);
        for i in [0usize, 1, 2, 65_535, 65_536, n as usize] {
            let mut e = z.by_index(i).unwrap();
            let mut got = Vec::new();
            e.read_to_end(&mut got).unwrap();
            if i == 0 {
                assert!(e.is_dir());
                continue;
            }
            let id = i as i64 - 1;
            assert_eq!(e.name().unwrap(), format!("d/f{id}"));
            assert_eq!(got, content(id, (id % 3) as u64));
        }
    }

    /// An archive whose big entries are zeros, kept small: runs of zeros are stored as lengths.
    #[derive(Default)]
    struct Sparse {
        /// (offset, literal bytes or a run of zeros).
        parts: Vec<(u64, Part)>,
        len: u64,
        pos: u64,
    }

    enum Part {
        Bytes(Vec<u8>),
        Zeros(u64),
    }

    static ZEROS: [u8; CHUNK] = [0; CHUNK];

    impl Write for Sparse {
        fn write(&mut self, d: &[u8]) -> io::Result<usize> {
            let zeros = d.len() >= 4096 && d.len() <= CHUNK && d == &ZEROS[..d.len()];
            match (self.parts.last_mut(), zeros) {
                (Some((_, Part::Zeros(n))), true) => *n += d.len() as u64,
                (Some((_, Part::Bytes(b))), false) => b.extend_from_slice(d),
                (_, true) => self.parts.push((self.len, Part::Zeros(d.len() as u64))),
                (_, false) => self.parts.push((self.len, Part::Bytes(d.to_vec()))),
            }
            self.len += d.len() as u64;
            Ok(d.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Read for Sparse {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let i = match self.parts.partition_point(|(at, _)| *at <= self.pos) {
                0 => return Ok(0),
                i => i - 1,
            };
            let (at, part) = &self.parts[i];
            let skip = self.pos - at;
            let n = match part {
                Part::Bytes(b) => {
                    let rest = b.get(skip as usize..).unwrap_or(&[]);
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    n
                }
                Part::Zeros(len) => {
                    let n = ((len - skip) as usize).min(buf.len()).min(CHUNK);
                    buf[..n].copy_from_slice(&ZEROS[..n]);
                    n
                }
            };
            self.pos += n as u64;
            Ok(n)
        }
    }

    impl Seek for Sparse {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.pos = match to {
                SeekFrom::Start(n) => n,
                SeekFrom::End(d) => (self.len as i64 + d) as u64,
                SeekFrom::Current(d) => (self.pos as i64 + d) as u64,
            };
            Ok(self.pos)
        }
    }

    impl Sparse {
        fn bytes_at(&mut self, at: u64, n: usize) -> Vec<u8> {
            let mut b = vec![0u8; n];
            self.seek(SeekFrom::Start(at)).unwrap();
            self.read_exact(&mut b).unwrap();
            b
        }
    }

    #[test]
    fn entries_of_4_gib_and_more_carry_zip64_sizes_and_offsets() {
        let big = (4u64 << 30) + 12_345;
        let entries = vec![file("big.bin", 1, big), file("after.txt", 2, 5)];
        let mut out = write_archive(Sparse::default(), &entries, |f| {
            Ok(match f.id {
                1 => Box::new(io::repeat(0).take(big)) as Box<dyn Read>,
                _ => Box::new(Cursor::new(b"after".to_vec())),
            })
        })
        .unwrap();

        // The local header: data descriptor flag, a Zip64 extra field (id 1).
        let head = out.bytes_at(0, 30);
        assert_eq!(u32_at(&head, 0), 0x0403_4b50);
        assert_ne!(u16_at(&head, 6) & 0x08, 0, "data descriptor flag");
        let (name_len, extra_len) = (u16_at(&head, 26) as u64, u16_at(&head, 28) as usize);
        let extra = out.bytes_at(30 + name_len, extra_len);
        assert_eq!(u16_at(&extra, 0), 0x0001, "Zip64 extra field first");
        // After the data: the Zip64 form of the data descriptor (8-byte sizes).
        let data_start = 30 + name_len + extra_len as u64;
        let dd = out.bytes_at(data_start + big, 24);
        assert_eq!(u32_at(&dd, 0), 0x0807_4b50);
        assert_eq!(u64_at(&dd, 8), big);
        assert_eq!(u64_at(&dd, 16), big);
        // Read back: sizes, offsets past 4 GiB, the CRC of every byte (checked at the end).
        let mut z = ::zip::ZipArchive::new(out).unwrap();
        {
            let mut e = z.by_index(0).unwrap();
            assert_eq!((e.name().unwrap().as_ref(), e.size()), ("big.bin", big));
            assert_eq!(e.crc32(), u32_at(&dd, 4));
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0u64;
            loop {
                let n = e.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            assert_eq!(total, big);
        }
        let mut e = z.by_index(1).unwrap();
        assert!(e.header_start() > u32::MAX as u64);
        let mut got = String::new();
        e.read_to_string(&mut got).unwrap();
        assert_eq!(got, "after");
    }

    /// A sink the test can still read after `write_archive` failed.
    #[derive(Clone, Debug, Default)]
    struct Shared(Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, d: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(d);
            Ok(d.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_blob_of_the_wrong_length_breaks_the_archive_off() {
        let entries = vec![file("a", 1, 10), file("b", 2, 3)];
        for (got, kind) in [
            (9, io::ErrorKind::UnexpectedEof),
            (11, io::ErrorKind::InvalidData),
        ] {
            let sink = Shared::default();
            let e = write_archive(sink.clone(), &entries, |_| Ok(Cursor::new(vec![1u8; got])))
                .unwrap_err();
            assert_eq!(e.kind(), kind);
            // Nothing after the failure: no central directory, no end record.
            let out = sink.0.borrow();
            let has = |sig: u32| out.windows(4).any(|w| w == sig.to_le_bytes());
            assert!(has(0x0403_4b50));
            assert!(!has(0x0201_4b50) && !has(0x0605_4b50), "{out:?}");
        }
    }
}
