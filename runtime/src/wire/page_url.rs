//! Wix page URLs: a string in the Velo/SDK dialect, an object in the REST dialect.
//!
//! Wix's SDK turns the REST object into the string: `{relativePath, url}` (the newer
//! form) into `url`, and `{base, path}` into `base + path`.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A page URL as Wix sends it; encodes back in the same form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PageUrl {
    /// SDK/Velo form: the full URL.
    Url(String),
    /// REST form.
    Object(PageUrlObject),
}

/// The REST form of a page URL (either of Wix's two shapes).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "strict", serde(deny_unknown_fields))]
#[serde(rename_all = "camelCase")]
pub struct PageUrlObject {
    /// Path relative to the site (`/product-page/shoe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_path: Option<String>,
    /// Full URL of the page, or of the site in the older shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Site URL (older shape, with `path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Path under `base` (older shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl PageUrl {
    /// The URL the SDK would give: the string as sent, `url` of the REST object, or
    /// `base + path` of the older REST shape.
    pub fn url(&self) -> Option<String> {
        match self {
            PageUrl::Url(url) => Some(url.clone()),
            PageUrl::Object(PageUrlObject { base: Some(base), path, .. }) => {
                Some(format!("{base}{}", path.as_deref().unwrap_or("")))
            }
            PageUrl::Object(object) => object.url.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for PageUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PageUrlVisitor;
        impl<'de> Visitor<'de> for PageUrlVisitor {
            type Value = PageUrl;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a page URL string or a page URL object")
            }
            fn visit_str<E: de::Error>(self, url: &str) -> Result<PageUrl, E> {
                Ok(PageUrl::Url(url.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PageUrl, A::Error> {
                PageUrlObject::deserialize(de::value::MapAccessDeserializer::new(map)).map(PageUrl::Object)
            }
        }
        deserializer.deserialize_any(PageUrlVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_form_round_trips_and_gives_the_sdk_url() {
        for (sent, url) in [
            (
                json!("https://example.wixsite.com/shop/product-page/shoe"),
                "https://example.wixsite.com/shop/product-page/shoe",
            ),
            (
                json!({"relativePath": "/product-page/shoe", "url": "https://example.wixsite.com/shop"}),
                "https://example.wixsite.com/shop",
            ),
            (
                json!({"base": "https://example.wixsite.com/shop", "path": "/post/hello"}),
                "https://example.wixsite.com/shop/post/hello",
            ),
        ] {
            let page: PageUrl = serde_json::from_value(sent.clone()).unwrap();
            assert_eq!(page.url().as_deref(), Some(url));
            assert_eq!(serde_json::to_value(&page).unwrap(), sent);
        }
        assert!(serde_json::from_value::<PageUrl>(json!(5)).is_err());
    }
}
