//! String enums that keep values they do not know.

/// A generated string enum: every declared value plus `Unknown(String)`.
pub trait WireEnum: Sized {
    /// The variant for a wire value; unlisted values become `Unknown(value)`.
    fn from_wire(value: &str) -> Self;
    /// The wire value, exactly as received for `Unknown`.
    fn as_wire(&self) -> &str;
}

/// Implements `Serialize`, `Deserialize` and `Display` through [`WireEnum`], for the
/// generated enums (`crate::wire::wire_enum_serde!(Name)`). Exported under a hidden name
/// and re-exported as `wire::wire_enum_serde`.
#[doc(hidden)]
#[macro_export]
macro_rules! __wire_enum_serde {
    ($name:ty) => {
        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::wire::WireEnum::as_wire(self))
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::wire::deserialize_enum(deserializer)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::wire::WireEnum::as_wire(self))
            }
        }
    };
}

/// Deserializes any string into a [`WireEnum`]; anything else is an error.
pub fn deserialize<'de, D: serde::Deserializer<'de>, E: WireEnum>(deserializer: D) -> Result<E, D::Error> {
    struct StrVisitor<E>(std::marker::PhantomData<E>);
    impl<E: WireEnum> serde::de::Visitor<'_> for StrVisitor<E> {
        type Value = E;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string enum value")
        }
        fn visit_str<Err: serde::de::Error>(self, value: &str) -> Result<E, Err> {
            Ok(E::from_wire(value))
        }
    }
    deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
}
