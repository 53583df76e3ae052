//! [`Map`]: a JSON object of names held in a fixed capacity, in the order it came.

use core::fmt;
use heapless::vec::VecView;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Up to `N` entries of a JSON object, in order; `null` (as API Gateway sends for no query
/// string) is empty. More than `N` entries is a deserialization error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map<'a, V, const N: usize> {
    entries: heapless::Vec<(&'a str, V), N>,
}

impl<'a, V, const N: usize> Default for Map<'a, V, N> {
    fn default() -> Self {
        Map {
            entries: heapless::Vec::new(),
        }
    }
}

impl<'a, V, const N: usize> Map<'a, V, N> {
    /// An empty map (for responses).
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value named `name`, compared as given.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.entries
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The first value named `name`, compared ignoring ASCII case (as header names are).
    pub fn get_ignore_case(&self, name: &str) -> Option<&V> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The entries, in the event's order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes out the first value named `name`: a value the handler consumes (a
    /// [`super::Lazy`] to parse) cannot be borrowed from the map.
    pub fn remove(&mut self, name: &str) -> Option<V> {
        let at = self.entries.iter().position(|(k, _)| *k == name)?;
        Some(self.entries.remove(at).1)
    }

    /// Adds an entry (for responses); gives it back when the map is full.
    pub fn push(&mut self, name: &'a str, value: V) -> Result<(), (&'a str, V)> {
        self.entries.push((name, value))
    }
}

/// The entries, in the event's order, by value.
impl<'a, V, const N: usize> IntoIterator for Map<'a, V, N> {
    type Item = (&'a str, V);
    type IntoIter = heapless::vec::IntoIter<(&'a str, V), N, usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>, const N: usize> Deserialize<'de> for Map<'a, V, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::new();
        deserializer.deserialize_option(Entries {
            into: map.entries.as_mut_view(),
        })?;
        Ok(map)
    }
}

/// Fills a map's entries through a view of them, which does not know the capacity `N`: maps
/// of one value type and any capacities share one copy of the code.
struct Entries<'m, 'a, V> {
    into: &'m mut VecView<(&'a str, V)>,
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for Entries<'_, 'a, V> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while let Some((name, value)) = access.next_entry::<&'de str, V>()? {
            if self.into.push((name, value)).is_err() {
                return Err(de::Error::invalid_length(self.into.capacity() + 1, &self));
            }
        }
        Ok(())
    }
}

impl<V: Serialize, const N: usize> Serialize for Map<'_, V, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (name, value) in &self.entries {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}
