//! Rules over a token's claims: `all`/`any`/`not` over checks (`equals`, `one_of`, `contains`,
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

use crate::config::{err, ConfigError};

/// A rule tree.
#[derive(Debug, Clone)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Check { claim: String, test: Test },
}

/// One check on one claim.
#[derive(Debug, Clone)]
pub enum Test {
    Equals(Value),
    OneOf(Vec<Value>),
    Contains(Value),
    ContainsAll(Vec<Value>),
    Regex(Regex),
    Exists(bool),
    Compare(Op, f64),
    AtLeast { levels: Vec<String>, min: usize },
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Rule {
    /// Builds a rule from its TOML form; `key` names it in errors.
    pub fn parse(key: &str, v: &toml::Value) -> Result<Rule, ConfigError> {
        let table = v.as_table().ok_or_else(|| err(key, "a rule is a table"))?;
        let list = |name: &str, v: &toml::Value| -> Result<Vec<Rule>, ConfigError> {
            let items = v
                .as_array()
                .ok_or_else(|| err(&format!("{key}.{name}"), "must be an array of rules"))?;
            items
                .iter()
                .enumerate()
                .map(|(i, r)| Rule::parse(&format!("{key}.{name}[{i}]"), r))
                .collect()
        };
        if let Some(v) = table.get("all") {
            return list("all", v).map(Rule::All);
        }
        if let Some(v) = table.get("any") {
            return list("any", v).map(Rule::Any);
        }
        if let Some(v) = table.get("not") {
            return Ok(Rule::Not(Box::new(Rule::parse(&format!("{key}.not"), v)?)));
        }
        let claim = table
            .get("claim")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| err(key, "needs `claim = \"name\"` (or all/any/not)"))?
            .to_owned();
        let json = |v: &toml::Value| serde_json::to_value(v).unwrap_or(Value::Null);
        let json_list = |name: &str| -> Result<Vec<Value>, ConfigError> {
            table
                .get(name)
                .and_then(toml::Value::as_array)
                .map(|a| a.iter().map(json).collect())
                .ok_or_else(|| err(&format!("{key}.{name}"), "must be an array"))
        };
        let number = |name: &str| -> Result<f64, ConfigError> {
            let v = &table[name];
            v.as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .ok_or_else(|| err(&format!("{key}.{name}"), "must be a number"))
        };
        let test = if let Some(v) = table.get("equals") {
            Test::Equals(json(v))
        } else if table.contains_key("one_of") {
            Test::OneOf(json_list("one_of")?)
        } else if let Some(v) = table.get("contains") {
            Test::Contains(json(v))
        } else if table.contains_key("contains_all") {
            Test::ContainsAll(json_list("contains_all")?)
        } else if let Some(v) = table.get("regex") {
            let src = v
                .as_str()
                .ok_or_else(|| err(&format!("{key}.regex"), "must be a string"))?;
            // Anchored: a pattern matches the whole value, not a substring of it.
            let re =
                Regex::new(&format!("^(?:{src})$")).map_err(|e| err(&format!("{key}.regex"), e))?;
            Test::Regex(re)
        } else if let Some(v) = table.get("exists") {
            Test::Exists(
                v.as_bool()
                    .ok_or_else(|| err(&format!("{key}.exists"), "must be true or false"))?,
            )
        } else if table.contains_key("gt") {
            Test::Compare(Op::Gt, number("gt")?)
        } else if table.contains_key("gte") {
            Test::Compare(Op::Gte, number("gte")?)
        } else if table.contains_key("lt") {
            Test::Compare(Op::Lt, number("lt")?)
        } else if table.contains_key("lte") {
            Test::Compare(Op::Lte, number("lte")?)
        } else if let Some(v) = table.get("at_least") {
            let want = v
                .as_str()
                .ok_or_else(|| err(&format!("{key}.at_least"), "must be a string"))?;
            let levels: Vec<String> = json_list("levels")?
                .into_iter()
                .map(|l| l.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| err(&format!("{key}.levels"), "must be strings, lowest first"))?;
            let min = levels.iter().position(|l| l == want).ok_or_else(|| {
                err(
                    &format!("{key}.at_least"),
                    format!("{want:?} is not one of levels"),
                )
            })?;
            Test::AtLeast { levels, min }
        } else {
            return Err(err(key, "needs one of equals, one_of, contains, contains_all, regex, exists, gt, gte, lt, lte, at_least"));
        };
        Ok(Rule::Check { claim, test })
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

/// A claim by dotted path.
pub fn lookup<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
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
