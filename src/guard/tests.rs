//! Unit tests of the screens, the gates and the fixed point.
