pub mod instance;
pub mod launch;
pub mod model;
#[cfg(feature = "qt")]
pub mod qt;
