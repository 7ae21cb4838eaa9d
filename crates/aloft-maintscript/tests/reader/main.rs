//! Tests of `read_postinst`: real trixie scripts, hand-written scripts, robustness.
#![allow(clippy::panic)] // helpers of tests: a broken fixture is a failing test

mod fixtures;
mod image;
mod robustness;
mod scripts;
