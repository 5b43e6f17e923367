//! Giving a progressive JPEG's coefficient memory back while its pixels come out.
//!
//! A progressive JPEG refines every 8×8 block over several scans, so libjpeg keeps the
//! whole image's DCT coefficients (64 × 2 bytes per block: 34.4 MiB for 12 MP at 4:2:0)
//! until the last scan is read, and only then outputs pixels, one iMCU row (8 or 16
//! lines) at a time, top to bottom. Rows already output are never read again, yet libjpeg
//! frees the buffer only when the image is finished, so the decoded image (8.6 MiB at
//! 2000×1500) used to grow on top of the whole buffer: 46 MiB peak for a 12 MP file.
//!
//! Here the pages of finished coefficient rows are handed back to the kernel as the
//! output pass moves down (`madvise(MADV_DONTNEED)`), so the image grows into the room the
//! coefficients leave and the peak is the coefficients alone. libjpeg's memory manager
//! is a public table of function pointers (`jpeg_memory_mgr`); its `access_virt_barray`,
//! through which the output pass reads every row of coefficients, is wrapped to learn
//! where the rows lie and how far the pass has come. The wrapper is installed from the
//! error manager's message hook: `mozjpeg` keeps its libjpeg object private, and libjpeg
//! calls that hook (with the object) for its first trace message, the start-of-image
//! marker, long before the coefficient arrays exist.
//!
//! What keeps this sound:
//! - Only the output pass is watched (`global_state` is `DSTATE_SCANNING` and the access
//!   is read-only); while scans are read in, every row is rewritten many times.
//! - Only rows strictly below the lowest row of the current request are released, and the
//!   output pass asks for rows in rising order (with block smoothing it re-reads the two
//!   iMCU rows above the current one, which are inside the request). Should a libjpeg
//!   ever ask for a released row, the tracker notes it and the decode is refused: those
//!   pixels would be wrong, and wrong evidence is worse than none.
//! - Only pages wholly inside rows seen to be contiguous (each row exactly one stride
//!   after the previous, every row seen) are released, so nothing outside the array, nor
//!   allocator bookkeeping, is ever touched. A page released and later written (by `free`)
//!   simply comes back zero-filled.
//! - Linux and Android release at once; elsewhere nothing is released (iOS keeps the
//!   earlier peak for progressive files, see `ios/README.md`).
#![allow(unsafe_code)] // libjpeg is C: its memory manager is reached through raw pointers.

use std::cell::RefCell;
use std::os::raw::c_int;
use std::sync::OnceLock;

use mozjpeg::decompress::DecompressBuilder;
use mozjpeg_sys::{JBLOCK, JBLOCKARRAY, JBLOCKROW, JDIMENSION, boolean, jpeg_common_struct};

/// `DSTATE_SCANNING` from libjpeg's `jpegint.h`: start_decompress is done (so every scan
/// of a progressive file is read) and scanlines are being output.
const DSTATE_SCANNING: c_int = 205;

/// `JMSG_LENGTH_MAX` from `jpeglib.h`: the buffer `format_message` may fill.
const MESSAGE_LENGTH: usize = 200;

/// libjpeg's `access_virt_barray`.
type AccessFn = unsafe extern "C-unwind" fn(
    &mut jpeg_common_struct,
    *mut mozjpeg_sys::jvirt_barray_control,
    JDIMENSION,
    JDIMENSION,
    boolean,
) -> JBLOCKARRAY;

/// libjpeg's own `access_virt_barray` (the same static function for every decoder),
/// captured when the first decoder's table is patched.
static ORIGINAL: OnceLock<AccessFn> = OnceLock::new();

thread_local! {
    /// The rows of the decode running on this thread, while a [`Releasing`] guard lives.
    static ACTIVE: RefCell<Option<Tracker>> = const { RefCell::new(None) };
}

/// A decoder builder whose error manager installs the release hook and turns libjpeg's
/// fatal errors into unwinding panics carrying `"libjpeg fatal error: <message>"`, as
/// `mozjpeg`'s own error manager does (the decoder catches them).
pub(crate) fn builder<'m>(markers: &'m [mozjpeg::Marker]) -> DecompressBuilder<'m> {
    // SAFETY: `jpeg_error_mgr` is plain C data (integers, nullable function and table
    // pointers), for which all-zero is a valid value; `jpeg_std_error` then fills it.
    let mut err: mozjpeg_sys::jpeg_error_mgr = unsafe { std::mem::zeroed() };
    // SAFETY: `err` is a valid, exclusively borrowed error manager.
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(fail);
    err.emit_message = Some(on_message);
    mozjpeg::Decompress::with_markers(markers).with_err(err)
}

/// Fatal error: format libjpeg's message and unwind to the decoder's `catch_unwind`.
extern "C-unwind" fn fail(cinfo: &mut jpeg_common_struct) {
    let mut buffer = [0u8; MESSAGE_LENGTH];
    // SAFETY: `cinfo.err` is the error manager this decoder was built with (it lives as
    // long as the decoder). `format_message` writes at most `JMSG_LENGTH_MAX` bytes,
    // NUL-terminated, into the buffer it is given; the binding declares an 80-byte array
    // reference, which at the ABI is the same single pointer, so it is called through a
    // pointer-taking signature with a buffer of the full size.
    let message = unsafe {
        match cinfo.err.as_ref().and_then(|e| e.format_message) {
            Some(format) => {
                let format: unsafe extern "C-unwind" fn(&mut jpeg_common_struct, *mut u8) =
                    std::mem::transmute(format);
                format(cinfo, buffer.as_mut_ptr());
                let text = buffer.split(|&b| b == 0).next().unwrap_or_default();
                String::from_utf8_lossy(text).into_owned()
            }
            None => "libjpeg failed".to_string(),
        }
    };
    std::panic::resume_unwind(Box::new(format!("libjpeg fatal error: {message}")));
}

/// Every trace or warning message: warnings are not shown (a truncated file is caught by
/// the decoder's reader, not by libjpeg's warning), and the first message patches the
/// memory manager.
extern "C-unwind" fn on_message(cinfo: &mut jpeg_common_struct, _level: c_int) {
    // SAFETY: `cinfo.mem` is the decoder's memory manager, created with the decoder and
    // alive until it is destroyed; it is only read and patched on this thread, inside a
    // libjpeg call on this decoder.
    let Some(mem) = (unsafe { cinfo.mem.as_mut() }) else {
        return;
    };
    let Some(current) = mem.access_virt_barray else {
        return;
    };
    let wrapper: AccessFn = access_rows;
    if current as usize == wrapper as usize {
        return;
    }
    let original = *ORIGINAL.get_or_init(|| current);
    // Someone else's memory manager: leave it alone.
    if original as usize == current as usize {
        mem.access_virt_barray = Some(wrapper);
    }
}

/// libjpeg's `access_virt_barray`, telling the tracker which rows the output pass reads.
extern "C-unwind" fn access_rows(
    cinfo: &mut jpeg_common_struct,
    array: *mut mozjpeg_sys::jvirt_barray_control,
    start_row: JDIMENSION,
    num_rows: JDIMENSION,
    writable: boolean,
) -> JBLOCKARRAY {
    let Some(original) = ORIGINAL.get() else {
        // Unreachable: the wrapper is installed only after ORIGINAL is set. libjpeg
        // cannot go on without its rows, so this is a fatal error like its own.
        std::panic::resume_unwind(Box::new(
            "libjpeg fatal error: coefficient access hook without libjpeg's".to_string(),
        ));
    };
    // SAFETY: the arguments are libjpeg's own, passed through unchanged.
    let rows = unsafe { original(cinfo, array, start_row, num_rows, writable) };
    if cinfo.global_state == DSTATE_SCANNING && writable == 0 && !rows.is_null() {
        // SAFETY: libjpeg returns `num_rows` row pointers for the requested rows.
        let rows = unsafe { std::slice::from_raw_parts(rows, num_rows as usize) };
        ACTIVE.with(|active| {
            if let Ok(mut active) = active.try_borrow_mut()
                && let Some(tracker) = active.as_mut()
            {
                tracker.saw(array as usize, start_row, rows);
            }
        });
    }
    rows
}

/// What releasing achieved for one decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReleaseReport {
    /// Bytes of coefficient memory handed back to the kernel during the output pass.
    pub released_bytes: usize,
    /// Whether libjpeg asked for a row already released (its pixels are not to be trusted).
    pub reread_released: bool,
}

/// Watches the decode on this thread while alive; [`Releasing::finish`] says how it went.
pub(crate) struct Releasing {
    /// Only [`Releasing::begin`] makes one, so a guard always has a tracker to clear.
    _private: (),
}

impl Releasing {
    /// Starts watching this thread's next decode; with `enabled` false, rows are tracked
    /// but nothing is released (the tests' reference decode).
    pub(crate) fn begin(enabled: bool) -> Self {
        ACTIVE.with(|active| {
            *active.borrow_mut() = Some(Tracker {
                enabled,
                ..Tracker::default()
            })
        });
        Releasing { _private: () }
    }

    /// Stops watching and reports.
    pub(crate) fn finish(self) -> ReleaseReport {
        let tracker = ACTIVE.with(|active| active.borrow_mut().take());
        tracker.map(|t| t.report).unwrap_or_default()
    }
}

impl Drop for Releasing {
    fn drop(&mut self) {
        // Also on unwinding out of a failed decode: the next decode starts clean.
        ACTIVE.with(|active| {
            if let Ok(mut active) = active.try_borrow_mut() {
                *active = None;
            }
        });
    }
}

/// The coefficient arrays seen in one output pass.
#[derive(Default)]
struct Tracker {
    enabled: bool,
    arrays: Vec<ArrayRows>,
    report: ReleaseReport,
}

/// What is known of one component's coefficient array.
struct ArrayRows {
    /// The array's libjpeg handle, as an address.
    key: usize,
    /// The first row seen and its address.
    first_row: u32,
    first_addr: usize,
    /// Bytes from one row to the next, once two rows are seen.
    stride: Option<usize>,
    /// The highest row seen so far: every row from `first_row` to it was seen and
    /// checked to lie exactly one stride after the one before.
    last_row: u32,
    /// Everything below this address (from `first_addr`) is released.
    released_to: usize,
    /// The rows did not follow one stride (or skipped some): stop releasing.
    irregular: bool,
}

impl Tracker {
    fn saw(&mut self, key: usize, start_row: u32, rows: &[JBLOCKROW]) {
        let Some(&first) = rows.first() else {
            return;
        };
        let index = match self.arrays.iter().position(|a| a.key == key) {
            Some(i) => i,
            None => {
                self.arrays.push(ArrayRows {
                    key,
                    first_row: start_row,
                    first_addr: first as usize,
                    stride: None,
                    last_row: start_row,
                    released_to: first as usize,
                    irregular: false,
                });
                self.arrays.len() - 1
            }
        };
        let array = &mut self.arrays[index];
        if (first as usize) < array.released_to {
            self.report.reread_released = true;
        }
        array.check(start_row, rows);
        if array.irregular || !self.enabled {
            return;
        }
        let Some(stride) = array.stride else {
            return;
        };
        // Rows from `first_row` up to (not including) `start_row` are finished.
        let Some(done_end) = (start_row.checked_sub(array.first_row))
            .and_then(|n| (n as usize).checked_mul(stride))
            .and_then(|bytes| array.first_addr.checked_add(bytes))
        else {
            return;
        };
        // The kernel's own page size (4 KiB here, 16 KiB on some ARM phones): it would
        // round a shorter length up, past the finished rows.
        let page = rustix::param::page_size();
        let from = array.released_to.next_multiple_of(page);
        let to = done_end - done_end % page;
        if to > from && give_back(from, to - from) {
            self.report.released_bytes += to - from;
            array.released_to = to;
        }
    }
}

impl ArrayRows {
    /// Learns the stride and checks that rows `start_row..` continue the rows seen, one
    /// stride apart with none skipped; anything else marks the array irregular.
    fn check(&mut self, start_row: u32, rows: &[JBLOCKROW]) {
        if start_row < self.first_row || start_row > self.last_row.saturating_add(1) {
            self.irregular = true;
            return;
        }
        for (i, &row) in rows.iter().enumerate() {
            let Some(r) = u32::try_from(i).ok().and_then(|i| start_row.checked_add(i)) else {
                self.irregular = true;
                return;
            };
            let addr = row as usize;
            let offset = (r - self.first_row) as usize;
            match self.stride {
                None if offset == 0 => {}
                None => {
                    let span = addr.wrapping_sub(self.first_addr);
                    if addr <= self.first_addr
                        || !span.is_multiple_of(offset)
                        || span / offset < std::mem::size_of::<JBLOCK>()
                    {
                        self.irregular = true;
                        return;
                    }
                    self.stride = Some(span / offset);
                }
                Some(stride) => {
                    if offset
                        .checked_mul(stride)
                        .and_then(|b| self.first_addr.checked_add(b))
                        != Some(addr)
                    {
                        self.irregular = true;
                        return;
                    }
                }
            }
            self.last_row = self.last_row.max(r);
        }
    }
}

/// Hands `len` bytes at `addr` (page-aligned, inside a finished coefficient array) back to
/// the kernel; `false` when nothing was released.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn give_back(addr: usize, len: usize) -> bool {
    // SAFETY: the range is whole pages inside one libjpeg coefficient array, in rows the
    // output pass has finished with (see the module's rules). `MADV_DONTNEED` on private
    // anonymous or heap memory keeps the mapping; the pages read back as zeros if touched
    // again, which only `free` does, by writing.
    unsafe {
        rustix::mm::madvise(
            addr as *mut std::ffi::c_void,
            len,
            rustix::mm::Advice::LinuxDontNeed,
        )
    }
    .is_ok()
}

/// Elsewhere the pages stay until libjpeg frees the array.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn give_back(_addr: usize, _len: usize) -> bool {
    false
}
