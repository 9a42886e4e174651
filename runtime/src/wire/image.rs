//! Wix images: a string in the Velo/SDK dialect, an object in the REST dialect.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// An image as Wix sends it; encodes back in the same form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Image {
    /// SDK/Velo form: `wix:image://v1/<id>/<filename>#originWidth=<w>&originHeight=<h>`, or a URL.
    Uri(String),
    /// REST form.
    Object(ImageObject),
}

/// The REST form of an image.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "strict", serde(deny_unknown_fields))]
#[serde(rename_all = "camelCase")]
pub struct ImageObject {
    /// Media ID. Also accepted as `_id`: the webhook conversion renames `id` at every depth,
    /// as Wix's SDK does.
    #[serde(default, alias = "_id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Original height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// Original width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    /// Original file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

impl Image {
    /// The URL or `wix:image://` URI, whichever form it came in.
    pub fn uri(&self) -> Option<&str> {
        match self {
            Image::Uri(uri) => Some(uri),
            Image::Object(object) => object.url.as_deref(),
        }
    }
}

impl<'de> Deserialize<'de> for Image {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ImageVisitor;
        impl<'de> Visitor<'de> for ImageVisitor {
            type Value = Image;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an image URI string or an image object")
            }
            fn visit_str<E: de::Error>(self, uri: &str) -> Result<Image, E> {
                Ok(Image::Uri(uri.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Image, A::Error> {
                ImageObject::deserialize(de::value::MapAccessDeserializer::new(map)).map(Image::Object)
            }
        }
        deserializer.deserialize_any(ImageVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_forms_round_trip() {
        for sent in [
            json!("wix:image://v1/abc.png/abc.png#originWidth=10&originHeight=20"),
            json!({"id": "abc", "url": "https://static.wixstatic.com/media/abc.png", "height": 20, "width": 10}),
        ] {
            let image: Image = serde_json::from_value(sent.clone()).unwrap();
            assert!(image.uri().is_some());
            assert_eq!(serde_json::to_value(&image).unwrap(), sent);
        }
        assert!(serde_json::from_value::<Image>(json!(5)).is_err());
        let renamed: Image = serde_json::from_value(json!({"_id": "abc", "url": "u"})).unwrap();
        assert_eq!(
            renamed,
            Image::Object(ImageObject { id: Some("abc".into()), url: Some("u".into()), ..Default::default() })
        );
    }
}
