//! Wire types: how Wix encodes values that serde's defaults would get wrong or lose.
//!
//! Each keeps the form it was sent in, so a payload re-encodes to the same JSON.

mod enums;
mod image;
mod int64;
mod items;
pub(crate) mod sdk_keys;
mod timestamp;

pub use enums::WireEnum;
pub(crate) use enums::{deserialize as deserialize_enum, wire_enum_serde};
pub use image::{Image, ImageObject};
pub use int64::Int64;
pub use items::{Items, ItemsList, ItemsMap};
pub use timestamp::{Timestamp, TimestampError};
