//! Presenting results: aligned text tables for the terminal, JSON for machines, and one
//! self-contained HTML page with SVG figures. Shared by every subcommand.
//!
//! - [`table`]: [`Table`] of typed [`Cell`]s → text / HTML / JSON.
//! - [`section`]: [`Section`] = heading + explanation + tables, figures, notes, errors.
//! - [`html`]: [`Page`] of sections, inline CSS, no external assets.
//! - [`svg`]: [`Figure`], hand-written SVG in data coordinates (arrows, polygons, axes, grid).
//! - [`format`]: number, count, shape, vector and matrix formatting.
//! - [`write`]: atomic file writes.

pub mod format;
pub mod html;
pub mod section;
pub mod svg;
pub mod table;
pub mod write;

pub use html::Page;
pub use section::{Block, Section};
pub use svg::{Axes, Color, Figure};
pub use table::{Cell, Table};
pub use write::atomic_write;
