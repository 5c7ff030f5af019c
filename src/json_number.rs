//! Numbers in perf-gate's JSON files: a JSON number, or `null` for a value that is not a finite
//! number.
//!
//! JSON has no NaN or infinity, and serde_json writes any non-finite `f64` as `null`. Such values
//! are real: a service round in which no request succeeded has no latency, and a criterion
//! sample can overflow to infinity. So every `f64` of the results file is read with these
//! functions, which take `null` back as NaN ("not a number"); the regression check and the gates
//! treat NaN and infinity alike (inconclusive; a gate that cannot compare fails). Whatever a
//! collector produces, the file it is written to reads back.

use serde::{Deserialize, Deserializer};

/// An `f64` field: a number, or `null` for NaN.
pub fn nan_if_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// A `Vec<f64>` field whose elements may be `null`.
pub fn nan_if_null_each<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(deserializer)?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

/// An optional `f64` field that is skipped when `None`: present as `null` is `Some(NaN)`.
pub fn some_nan_if_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    nan_if_null(deserializer).map(Some)
}

/// An optional `Vec<f64>` field that is skipped when `None`; its elements may be `null`.
pub fn some_nan_if_null_each<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<f64>>, D::Error> {
    nan_if_null_each(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct Numbers {
        #[serde(deserialize_with = "super::nan_if_null")]
        one: f64,
        #[serde(deserialize_with = "super::nan_if_null_each")]
        many: Vec<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::some_nan_if_null")]
        maybe: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::some_nan_if_null_each")]
        rounds: Option<Vec<f64>>,
    }

    #[test]
    fn non_finite_values_are_written_as_null_and_read_back_as_nan() {
        let numbers = Numbers {
            one: f64::INFINITY,
            many: vec![1.5, f64::NAN, f64::NEG_INFINITY],
            maybe: Some(f64::NAN),
            rounds: Some(vec![f64::NAN, 2.0]),
        };
        let text = serde_json::to_string(&numbers).unwrap();
        assert_eq!(text, r#"{"one":null,"many":[1.5,null,null],"maybe":null,"rounds":[null,2.0]}"#);
        let back: Numbers = serde_json::from_str(&text).unwrap();
        assert!(back.one.is_nan() && back.many[0] == 1.5 && back.many[1].is_nan() && back.many[2].is_nan());
        assert!(back.maybe.is_some_and(f64::is_nan));
        assert!(back.rounds.as_ref().is_some_and(|r| r[0].is_nan() && r[1] == 2.0));
        let absent: Numbers = serde_json::from_str(r#"{"one":1,"many":[]}"#).unwrap();
        assert_eq!((absent.maybe, absent.rounds), (None, None));
    }
}
