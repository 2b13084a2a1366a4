//! Between Cap'n Proto's types and the interfaces' types.

use std::time::Duration;

use hashvive_interfaces::Error;

/// An interface error as a Cap'n Proto error the peer will see.
pub(crate) fn to_capnp(e: Error) -> capnp::Error {
    match e {
        Error::Disconnected(msg) => capnp::Error::disconnected(msg),
        Error::Remote(msg) | Error::Unavailable(msg) => capnp::Error::failed(msg),
    }
}

/// A Cap'n Proto error from a call as the caller's interface error.
pub(crate) fn from_capnp(e: capnp::Error) -> Error {
    // capnp-rpc marks errors that crossed the wire; the caller knows that already.
    let message = e.extra.strip_prefix("remote exception: ").map(str::to_string).unwrap_or(e.extra);
    match e.kind {
        capnp::ErrorKind::Disconnected => Error::Disconnected(message),
        _ => Error::Remote(message),
    }
}

/// Seconds from a peer as a duration: negative or NaN is zero, huge is "forever".
pub(crate) fn duration_from_secs(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_from_secs(-1.0), Duration::ZERO);
        assert_eq!(duration_from_secs(f64::NAN), Duration::ZERO);
        assert_eq!(duration_from_secs(1.5), Duration::from_millis(1500));
        assert_eq!(duration_from_secs(f64::MAX), Duration::MAX);
    }

    #[test]
    fn errors_round_trip_by_kind() {
        assert_eq!(from_capnp(to_capnp(Error::Disconnected("x".into()))), Error::Disconnected("x".into()));
        assert_eq!(from_capnp(to_capnp(Error::Remote("y".into()))), Error::Remote("y".into()));
    }
}
