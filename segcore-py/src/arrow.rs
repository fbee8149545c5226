//! Arrow text columns read in place through the Arrow C stream interface
//! (`__arrow_c_stream__`, which polars Series, pandas' Arrow-backed string Series and pyarrow
//! arrays implement): the binding borrows the columns' buffers, with no per-value Python work
//! and no copy, and the core factorizes them (`segcore::data::factorize_text`).
//!
//! The structs below are the interface's ABI (its specification fixes their layout); this is the
//! binding's only unsafe code, and each block says which part of that contract it relies on.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use segcore::data::{TextChunk, Validity};
use segcore::Error;
use std::ffi::{c_char, c_int, c_void, CStr};

#[repr(C)]
struct ArrowSchema {
    format: *const c_char,
    name: *const c_char,
    metadata: *const c_char,
    flags: i64,
    n_children: i64,
    children: *mut *mut ArrowSchema,
    dictionary: *mut ArrowSchema,
    release: Option<unsafe extern "C" fn(*mut ArrowSchema)>,
    private_data: *mut c_void,
}

#[repr(C)]
struct ArrowArray {
    length: i64,
    null_count: i64,
    offset: i64,
    n_buffers: i64,
    n_children: i64,
    buffers: *mut *const c_void,
    children: *mut *mut ArrowArray,
    dictionary: *mut ArrowArray,
    release: Option<unsafe extern "C" fn(*mut ArrowArray)>,
    private_data: *mut c_void,
}

#[repr(C)]
struct ArrowArrayStream {
    get_schema: Option<unsafe extern "C" fn(*mut ArrowArrayStream, *mut ArrowSchema) -> c_int>,
    get_next: Option<unsafe extern "C" fn(*mut ArrowArrayStream, *mut ArrowArray) -> c_int>,
    get_last_error: Option<unsafe extern "C" fn(*mut ArrowArrayStream) -> *const c_char>,
    release: Option<unsafe extern "C" fn(*mut ArrowArrayStream)>,
    private_data: *mut c_void,
}

/// Releases an interface struct through its own callback (a released struct has none).
macro_rules! release_on_drop {
    ($($kind:ty),*) => {$(
        impl Drop for $kind {
            fn drop(&mut self) {
                if let Some(release) = self.release {
                    // SAFETY: a struct with a release callback is owned here and not yet
                    // released; the callback is the producer's and marks it released.
                    unsafe { release(self) }
                }
            }
        }
    )*};
}
release_on_drop!(ArrowSchema, ArrowArray, ArrowArrayStream);

impl ArrowSchema {
    fn released() -> Self {
        ArrowSchema {
            format: std::ptr::null(),
            name: std::ptr::null(),
            metadata: std::ptr::null(),
            flags: 0,
            n_children: 0,
            children: std::ptr::null_mut(),
            dictionary: std::ptr::null_mut(),
            release: None,
            private_data: std::ptr::null_mut(),
        }
    }
}

impl ArrowArray {
    fn released() -> Self {
        ArrowArray {
            length: 0,
            null_count: 0,
            offset: 0,
            n_buffers: 0,
            n_children: 0,
            buffers: std::ptr::null_mut(),
            children: std::ptr::null_mut(),
            dictionary: std::ptr::null_mut(),
            release: None,
            private_data: std::ptr::null_mut(),
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for ArrowText {
    type Error = PyErr;

    fn extract(column: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        ArrowText::import(&column)
    }
}

/// The three Arrow string layouts the core reads.
#[derive(Clone, Copy)]
enum Layout {
    Offsets32,
    Offsets64,
    Views,
}

/// A text column's Arrow arrays, owned (released when dropped).
pub struct ArrowText {
    layout: Layout,
    arrays: Vec<ArrowArray>,
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::invalid_parameter(
        "ids",
        what,
        "an Arrow string column (utf8, large_utf8 or utf8view)",
    )
}

impl ArrowText {
    /// The arrays of `column`'s Arrow stream (`__arrow_c_stream__`); a type other than the
    /// three string layouts is an error naming its Arrow format.
    pub fn import(column: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = column.py();
        let capsule = column.call_method0("__arrow_c_stream__")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let pointer = capsule
            .pointer_checked(Some(c"arrow_array_stream"))?
            .cast::<ArrowArrayStream>();
        // SAFETY: a capsule named "arrow_array_stream" holds a valid stream struct; the
        // interface lets the consumer move it out and mark the source released, after which the
        // capsule's destructor does nothing.
        let mut stream = unsafe {
            let stream = std::ptr::read(pointer.as_ptr());
            (*pointer.as_ptr()).release = None;
            stream
        };
        let mut schema = ArrowSchema::released();
        let (Some(get_schema), Some(get_next)) = (stream.get_schema, stream.get_next) else {
            return Err(to_py_err(py, bad("a released Arrow stream")));
        };
        let failed = |code: c_int, stream: &mut ArrowArrayStream| -> PyErr {
            let message = stream
                .get_last_error
                // SAFETY: the stream is live; its error text is valid until its next call.
                .map(|f| unsafe { f(stream) })
                .filter(|m| !m.is_null())
                .map(|m| unsafe { CStr::from_ptr(m) }.to_string_lossy().into_owned());
            let message = message.unwrap_or_default();
            to_py_err(py, bad(format!("an Arrow stream error {code} ({message})")))
        };
        // SAFETY: the stream is live and `schema` is a released struct it may write.
        let code = unsafe { get_schema(&mut stream, &mut schema) };
        if code != 0 || schema.format.is_null() {
            return Err(failed(code, &mut stream));
        }
        // SAFETY: a schema's format is a NUL-terminated string owned by the schema.
        let format = unsafe { CStr::from_ptr(schema.format) }.to_bytes();
        let layout = match format {
            b"u" => Layout::Offsets32,
            b"U" => Layout::Offsets64,
            b"vu" => Layout::Views,
            other => {
                let format = String::from_utf8_lossy(other).into_owned();
                return Err(to_py_err(py, bad(format!("Arrow format '{format}'"))));
            }
        };
        let mut arrays = Vec::new();
        loop {
            let mut array = ArrowArray::released();
            // SAFETY: as for get_schema; a released array after success ends the stream.
            let code = unsafe { get_next(&mut stream, &mut array) };
            if code != 0 {
                return Err(failed(code, &mut stream));
            }
            if array.release.is_none() {
                return Ok(ArrowText { layout, arrays });
            }
            arrays.push(array);
        }
    }

    /// The arrays as the core's borrowed chunks.
    pub fn chunks(&self) -> segcore::Result<Vec<TextChunk<'_>>> {
        self.arrays.iter().map(|a| chunk(a, self.layout)).collect()
    }
}

/// Buffer `index` of `array` as `len` values of `T` (empty when the producer left it null, as
/// it may for an empty array or absent nulls).
fn buffer<T>(array: &ArrowArray, index: usize, len: usize) -> segcore::Result<&[T]> {
    if index as i64 >= array.n_buffers {
        return Err(bad(format!(
            "an Arrow array with {} buffers",
            array.n_buffers
        )));
    }
    // SAFETY: `buffers` holds `n_buffers` pointers (checked above), live while the array is.
    let pointer = unsafe { *array.buffers.add(index) }.cast::<T>();
    if pointer.is_null() || len == 0 {
        return Ok(&[]);
    }
    if !pointer.is_aligned() {
        return Err(bad("an unaligned Arrow buffer"));
    }
    // SAFETY: the layout's buffer `index` holds at least `len` values of `T` (the lengths below
    // follow the interface's rules for each layout), aligned (checked above), and lives as long
    // as `array`, which the returned slice borrows.
    Ok(unsafe { std::slice::from_raw_parts(pointer, len) })
}

/// The `len + 1` offsets of a utf8 / large_utf8 array from its offset on, and the bytes they
/// point into (a negative offset reads as 0: the core then reports the malformed array).
fn offsets_and_data<T: Copy + TryInto<usize>>(
    array: &ArrowArray,
    offset: usize,
    end: usize,
) -> segcore::Result<(&[T], &[u8])> {
    let offsets = buffer::<T>(array, 1, end + 1)?.get(offset..).unwrap_or(&[]);
    let data_len = offsets.last().map_or(0, |&o| o.try_into().unwrap_or(0));
    Ok((offsets, buffer(array, 2, data_len)?))
}

fn chunk(array: &ArrowArray, layout: Layout) -> segcore::Result<TextChunk<'_>> {
    let (offset, len) = (
        usize::try_from(array.offset).map_err(|_| bad("a negative Arrow offset"))?,
        usize::try_from(array.length).map_err(|_| bad("a negative Arrow length"))?,
    );
    let end = offset + len;
    let validity = if array.null_count != 0 {
        let bits = buffer::<u8>(array, 0, end.div_ceil(8))?;
        (!bits.is_empty()).then_some(Validity { bits, offset })
    } else {
        None
    };
    Ok(match layout {
        Layout::Offsets32 => {
            let (offsets, data) = offsets_and_data(array, offset, end)?;
            TextChunk::Offsets32 {
                offsets,
                data,
                validity,
            }
        }
        Layout::Offsets64 => {
            let (offsets, data) = offsets_and_data(array, offset, end)?;
            TextChunk::Offsets64 {
                offsets,
                data,
                validity,
            }
        }
        Layout::Views => {
            // Buffers: validity, views, the data buffers, then their int64 sizes.
            let n_data = usize::try_from(array.n_buffers - 3)
                .map_err(|_| bad("a utf8view array without its buffer sizes"))?;
            let sizes = buffer::<i64>(array, 2 + n_data, n_data)?;
            let buffers = (0..n_data)
                .map(|i| buffer::<u8>(array, 2 + i, sizes.get(i).map_or(0, |&s| s.max(0) as usize)))
                .collect::<segcore::Result<Vec<_>>>()?;
            let views = buffer::<u8>(array, 1, 16 * end)?
                .get(16 * offset..)
                .unwrap_or(&[]);
            TextChunk::Views {
                views,
                buffers,
                validity,
            }
        }
    })
}
