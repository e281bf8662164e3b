//! Rules over a token's claims (built from the configuration by `config::rules`): `all`/`any`/`not` over checks (`equals`, `one_of`, `contains`,
//! `contains_all`, `regex`, `exists`, `gt`/`gte`/`lt`/`lte`, and ordered `at_least` levels).
//!
//! ```toml
//! rules = { all = [
//!   { claim = "scope", contains = "read" },
//!   { claim = "acr", at_least = "substantial", levels = ["low", "substantial", "high"] },
//!   { not = { claim = "suspended", exists = true } },
//! ] }
//! ```
//! A claim is named by a dotted path (`realm_access.roles`). `equals` on an array claim means
//! membership; `contains` on a string claim splits it on spaces (OAuth `scope`).

use regex::Regex;
use serde_json::Value;

use super::lookup;

/// A rule tree.
#[derive(Debug, Clone)]
pub enum Rule {
    /// Every rule passes.
    All(Vec<Rule>),
    /// One rule passes.
    Any(Vec<Rule>),
    /// The rule does not pass.
    Not(Box<Rule>),
    /// One check on one claim.
    Check {
        /// The claim's dotted path.
        claim: String,
        /// The check.
        test: Test,
    },
}

/// One check on one claim.
#[derive(Debug, Clone)]
pub enum Test {
    /// Equal (an array claim: contains).
    Equals(Value),
    /// Equal to one of these.
    OneOf(Vec<Value>),
    /// Contains (space-separated strings too).
    Contains(Value),
    /// Contains every one.
    ContainsAll(Vec<Value>),
    /// Matches entirely.
    Regex(Regex),
    /// Present (true) or absent (false).
    Exists(bool),
    /// A numeric comparison.
    Compare(Op, f64),
    /// At least this level of an ordered list.
    AtLeast {
        /// The levels, lowest first.
        levels: Vec<String>,
        /// The index of the lowest accepted level.
        min: usize,
    },
}

#[derive(Debug, Clone, Copy)]
/// A numeric comparison.
pub enum Op {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl Rule {
    /// The claim paths this rule reads.
    pub fn claim_paths<'r>(&'r self, out: &mut Vec<&'r str>) {
        match self {
            Rule::All(rules) | Rule::Any(rules) => rules.iter().for_each(|r| r.claim_paths(out)),
            Rule::Not(rule) => rule.claim_paths(out),
            Rule::Check { claim, .. } => out.push(claim),
        }
    }

    /// Evaluates against the claims; on denial, returns which check denied.
    pub fn eval(&self, claims: &Value) -> Result<(), String> {
        match self {
            Rule::All(rules) => rules.iter().try_for_each(|r| r.eval(claims)),
            Rule::Any(rules) => {
                let mut last = String::from("no rule in `any`");
                for r in rules {
                    match r.eval(claims) {
                        Ok(()) => return Ok(()),
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
            Rule::Not(r) => match r.eval(claims) {
                Ok(()) => Err(format!("`not` rule matched ({})", r.describe())),
                Err(_) => Ok(()),
            },
            Rule::Check { claim, test } => {
                if test.passes(lookup(claims, claim)) {
                    Ok(())
                } else {
                    Err(self.describe())
                }
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Rule::Check { claim, test } => format!("claim {claim:?} {}", test.describe()),
            Rule::All(_) => "all-of rule".into(),
            Rule::Any(_) => "any-of rule".into(),
            Rule::Not(r) => format!("not ({})", r.describe()),
        }
    }
}

fn members(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::String(s) => s
            .split_whitespace()
            .map(|t| Value::String(t.to_owned()))
            .collect(),
        other => vec![other.clone()],
    }
}

impl Test {
    fn passes(&self, v: Option<&Value>) -> bool {
        match (self, v) {
            (Test::Exists(want), v) => v.is_some() == *want,
            (_, None) => false,
            (Test::Equals(want), Some(Value::Array(a))) => a.contains(want),
            (Test::Equals(want), Some(v)) => v == want,
            (Test::OneOf(options), Some(v)) => options.contains(v),
            (Test::Contains(want), Some(v)) => members(v).contains(want),
            (Test::ContainsAll(wants), Some(v)) => {
                let have = members(v);
                wants.iter().all(|w| have.contains(w))
            }
            (Test::Regex(re), Some(Value::String(s))) => re.is_match(s),
            (Test::Regex(re), Some(Value::Array(a))) => {
                a.iter().any(|x| x.as_str().is_some_and(|s| re.is_match(s)))
            }
            (Test::Regex(_), Some(_)) => false,
            (Test::Compare(op, n), Some(v)) => v.as_f64().is_some_and(|x| match op {
                Op::Gt => x > *n,
                Op::Gte => x >= *n,
                Op::Lt => x < *n,
                Op::Lte => x <= *n,
            }),
            (Test::AtLeast { levels, min }, Some(Value::String(s))) => levels
                .iter()
                .position(|l| l == s)
                .is_some_and(|i| i >= *min),
            (Test::AtLeast { .. }, Some(_)) => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Test::Equals(v) => format!("must equal {v}"),
            Test::OneOf(v) => format!("must be one of {}", Value::Array(v.clone())),
            Test::Contains(v) => format!("must contain {v}"),
            Test::ContainsAll(v) => format!("must contain all of {}", Value::Array(v.clone())),
            Test::Regex(r) => format!("must match {}", r.as_str()),
            Test::Exists(true) => "must be present".into(),
            Test::Exists(false) => "must be absent".into(),
            Test::Compare(op, n) => format!(
                "must be {} {n}",
                match op {
                    Op::Gt => ">",
                    Op::Gte => ">=",
                    Op::Lt => "<",
                    Op::Lte => "<=",
                }
            ),
            Test::AtLeast { levels, min } => format!("must be at least {:?}", levels[*min]),
        }
    }
}
