//! Wire types: how Wix encodes values that serde's defaults would get wrong or lose.
//!
//! Each keeps the form it was sent in, so a payload re-encodes to the same JSON.

mod enums;
mod image;
mod int64;
mod items;
mod page_url;
pub mod sdk_keys;
mod timestamp;

#[doc(hidden)]
pub use crate::__wire_enum_serde as wire_enum_serde;
#[doc(hidden)]
pub use enums::deserialize as deserialize_enum;
pub use enums::WireEnum;
pub use image::{Image, ImageObject};
pub use int64::Int64;
pub use items::{Items, ItemsList, ItemsMap};
pub use page_url::{PageUrl, PageUrlObject};
pub use timestamp::{Timestamp, TimestampError};
