//! Time both ways: arithmetic on `Timestamp`, the live clock and `Instant`,
//! and how timestamps print. Expected values are worked out by hand in the
//! comments beside them.

use accrual::Timestamp;
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

#[test]
fn adding_and_subtracting_durations_moves_along_the_axis() {
    let t = Timestamp::from_millis(1_500);
    // 1 500 ms + 250 ms = 1 750 ms; 1 500 ms − 250 ms = 1 250 ms.
    assert_eq!(t + 250 * MS, Timestamp::from_millis(1_750));
    assert_eq!(t - 250 * MS, Timestamp::from_millis(1_250));
    // 1 500 000 000 ns + 1 ns.
    assert_eq!(
        t + Duration::from_nanos(1),
        Timestamp::from_nanos(1_500_000_001)
    );
    let mut u = t;
    u += 2 * MS;
    assert_eq!(u, Timestamp::from_millis(1_502));
    u -= 502 * MS;
    assert_eq!(u, Timestamp::from_millis(1_000));
}

#[test]
fn the_difference_of_two_timestamps_is_a_duration() {
    let (a, b) = (
        Timestamp::from_millis(1_000),
        Timestamp::from_micros(3_500_250),
    );
    // 3 500 250 µs − 1 000 000 µs = 2 500 250 µs.
    assert_eq!(b - a, Duration::from_micros(2_500_250));
    assert_eq!(
        b.checked_duration_since(a),
        Some(Duration::from_micros(2_500_250))
    );
}

#[test]
fn arithmetic_saturates_at_both_ends_and_checked_variants_say_so() {
    let (early, late) = (Timestamp::from_millis(100), Timestamp::from_millis(300));
    // A negative span is zero, as Instant − Instant is in std.
    assert_eq!(early - late, Duration::ZERO);
    assert_eq!(early.checked_duration_since(late), None);
    // 100 ms − 1 s would be before the origin: ZERO, or None.
    assert_eq!(early - Duration::from_secs(1), Timestamp::ZERO);
    assert_eq!(early.checked_sub(Duration::from_secs(1)), None);
    assert_eq!(early.checked_sub(100 * MS), Some(Timestamp::ZERO));
    // Past u64::MAX nanoseconds: MAX, or None.
    assert_eq!(Timestamp::MAX + Duration::from_nanos(1), Timestamp::MAX);
    assert_eq!(Timestamp::MAX.checked_add(Duration::from_nanos(1)), None);
    assert_eq!(
        Timestamp::MAX.checked_add(Duration::ZERO),
        Some(Timestamp::MAX)
    );
    assert_eq!(early + Duration::MAX, Timestamp::MAX);
    assert_eq!(early.checked_add(Duration::MAX), None);
    assert_eq!(late - Duration::MAX, Timestamp::ZERO);
    let mut t = Timestamp::from_nanos(5);
    t -= Duration::from_nanos(6);
    assert_eq!(t, Timestamp::ZERO);
}

#[test]
fn instants_long_before_the_first_conversion_keep_their_spacing() {
    // A service that stored receive instants for months (or years) before
    // it built its first detector: each converts to its true offset. With
    // an origin a day before the first conversion, all of these collapsed
    // onto Timestamp::ZERO.
    let now = Instant::now();
    let now_t = Timestamp::from(now);
    for days in [2_u64, 30, 400, 10 * 366] {
        let back = Duration::from_secs(days * 86_400);
        // Windows' Instant cannot go before the clock's zero (boot).
        let Some(old) = now.checked_sub(back) else {
            continue;
        };
        let (t0, t1) = (
            Timestamp::from(old),
            Timestamp::from(old + Duration::from_nanos(1)),
        );
        assert_eq!(t1 - t0, Duration::from_nanos(1), "{days} days back");
        assert_eq!(now_t - t0, back, "{days} days back");
        assert_eq!(Timestamp::checked_from_instant(old), Some(t0));
        assert_eq!(t0.to_instant(), Some(old));
    }
}

#[test]
fn instants_off_the_axis_saturate_or_are_refused() {
    let origin = Timestamp::ZERO
        .to_instant()
        .expect("the origin is an instant");
    if let Some(before) = origin.checked_sub(Duration::from_nanos(1)) {
        assert_eq!(Timestamp::from(before), Timestamp::ZERO);
        assert_eq!(Timestamp::checked_from_instant(before), None);
    }
    assert_eq!(
        Timestamp::checked_from_instant(origin),
        Some(Timestamp::ZERO)
    );
    if let Some(end) = Timestamp::MAX.to_instant() {
        assert_eq!(Timestamp::checked_from_instant(end), Some(Timestamp::MAX));
        if let Some(past) = end.checked_add(Duration::from_nanos(1)) {
            assert_eq!(Timestamp::from(past), Timestamp::MAX);
            assert_eq!(Timestamp::checked_from_instant(past), None);
        }
    }
}

#[test]
fn now_is_on_the_same_origin_as_instant_conversions() {
    let before = Instant::now();
    let now = Timestamp::now();
    let after = Instant::now();
    assert!(Timestamp::from(before) <= now && now <= Timestamp::from(after));
}

#[test]
fn a_live_timestamp_converts_back_to_its_instant() {
    let instant = Instant::now() + Duration::from_millis(40);
    let t = Timestamp::from(instant);
    assert_eq!(t.to_instant(), Some(instant));
    // And what a caller computes from it: the instant 1 s later.
    assert_eq!(
        (t + Duration::from_secs(1)).to_instant(),
        Some(instant + Duration::from_secs(1))
    );
    // "How long until the deadline": at most the 40 ms ahead.
    assert!(t - Timestamp::now() <= Duration::from_millis(40));
}

#[test]
fn a_replayed_timestamp_converts_relative_to_the_process_origin() {
    // 1.5 s after the origin, which lies in this process's past, so the
    // instant is earlier than now: a timer armed on it fires at once.
    let replayed = Timestamp::from_millis(1_500);
    let origin = Timestamp::ZERO
        .to_instant()
        .expect("the origin is an instant");
    assert_eq!(
        replayed.to_instant(),
        Some(origin + Duration::from_millis(1_500))
    );
    assert!(origin <= Instant::now());
    assert_eq!(Timestamp::from(origin), Timestamp::ZERO);
}

#[test]
fn a_deadline_arms_a_tokio_timer() {
    // The pattern the issue asked for: sleep_until(deadline.to_instant()).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let deadline = Timestamp::now() + Duration::from_millis(20);
    runtime.block_on(async {
        let when = deadline.to_instant().expect("a live timestamp");
        tokio::time::sleep_until(when.into()).await;
    });
    assert!(Timestamp::now() >= deadline);
    assert_eq!(deadline - Timestamp::now(), Duration::ZERO);
}

#[test]
fn display_reads_as_seconds_with_microseconds() {
    // 1 500 ms = 1.5 s, six decimals.
    assert_eq!(Timestamp::from_millis(1_500).to_string(), "1.500000s");
    assert_eq!(Timestamp::ZERO.to_string(), "0.000000s");
    // 86 408 999 850 123 ns: the issue's `86408999.85ms`, read as seconds;
    // the 123 ns are below the sixth decimal and truncated.
    let t = Timestamp::from_nanos(86_408_999_850_123);
    assert_eq!(t.to_string(), "86408.999850s");
    // A precision sets the decimals; digits past it are truncated, not rounded.
    assert_eq!(format!("{t:.3}"), "86408.999s");
    assert_eq!(format!("{t:.9}"), "86408.999850123s");
    assert_eq!(format!("{t:.0}"), "86408s");
    // More than nine decimals would invent digits: nine is the most.
    assert_eq!(format!("{t:.12}"), "86408.999850123s");
    // A width pads like a number: to the right by default.
    assert_eq!(format!("{:>12}", Timestamp::from_millis(1)), "   0.001000s");
    assert_eq!(format!("{:12}", Timestamp::from_millis(1)), "   0.001000s");
    assert_eq!(
        format!("{:<12}|", Timestamp::from_millis(1)),
        "0.001000s   |"
    );
    // u64::MAX ns = 18 446 744 073.709 551 615 s.
    assert_eq!(Timestamp::MAX.to_string(), "18446744073.709551s");
    // Debug stays the raw count.
    assert_eq!(
        format!("{:?}", Timestamp::from_millis(2)),
        "Timestamp(2000000)"
    );
}
