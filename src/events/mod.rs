//! Event types (feature `events`): see each source's file.
