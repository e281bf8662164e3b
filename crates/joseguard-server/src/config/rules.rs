//! Rules from their TOML form (docs/gateway.md, "Rules") into [`crate::claims::rules::Rule`].

use regex::Regex;
use serde_json::Value;

use super::{err, ConfigError};
use crate::claims::rules::{Op, Rule, Test};

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
            .map(|(i, r)| parse(&format!("{key}.{name}[{i}]"), r))
            .collect()
    };
    if let Some(v) = table.get("all") {
        return list("all", v).map(Rule::All);
    }
    if let Some(v) = table.get("any") {
        return list("any", v).map(Rule::Any);
    }
    if let Some(v) = table.get("not") {
        return Ok(Rule::Not(Box::new(parse(&format!("{key}.not"), v)?)));
    }
    let claim = table
        .get("claim")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| err(key, "needs `claim = \"name\"` (or all/any/not)"))?
        .to_owned();
    Ok(Rule::Check {
        claim,
        test: check(key, table)?,
    })
}

/// The check of a `{ claim = ..., <check> = ... }` table.
fn check(key: &str, table: &toml::Table) -> Result<Test, ConfigError> {
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
    for (name, op) in [
        ("gt", Op::Gt),
        ("gte", Op::Gte),
        ("lt", Op::Lt),
        ("lte", Op::Lte),
    ] {
        if table.contains_key(name) {
            return Ok(Test::Compare(op, number(name)?));
        }
    }
    Ok(if let Some(v) = table.get("equals") {
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
    })
}
