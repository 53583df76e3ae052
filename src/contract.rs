//! Lambda's contract, stated once.
