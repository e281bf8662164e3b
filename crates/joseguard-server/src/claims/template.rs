//! Claims into a signature: a template of literal text and `${claim.path}` references, or every
//! claim at once.

use serde_json::Value;

use super::lookup;

/// A value built from claims: literal text and `${claim.path}` references.
#[derive(Debug, Clone)]
pub struct Template(Vec<Part>);

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Claim(String),
    /// Every claim, as one object.
    AllClaims,
}

impl Template {
    /// Parses `${claim}` references and literal text.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("{text:?}: `${{` without `}}`"))?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(format!("{text:?}: empty `${{}}`"));
            }
            parts.push(Part::Claim(name.to_owned()));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template(parts))
    }

    /// The value for these claims. A template that is one reference copies the claim as it is
    /// (an `amr` array stays an array) and gives `None` when it is absent; otherwise the parts
    /// are joined as text, absent claims as empty text.
    pub fn render(&self, claims: &Value) -> Option<Value> {
        match self.0.as_slice() {
            [Part::Claim(name)] => return lookup(claims, name).cloned(),
            [Part::AllClaims] => return Some(claims.clone()),
            _ => {}
        }
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Claim(name) => match lookup(claims, name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Array(items)) => {
                        let texts: Vec<String> = items
                            .iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect();
                        out.push_str(&texts.join(" "));
                    }
                    Some(other) => out.push_str(&other.to_string()),
                    None => {}
                },
                Part::AllClaims => out.push_str(&claims.to_string()),
            }
        }
        Some(Value::String(out))
    }
}

impl Template {
    /// Every claim, as one object (`claims_to_context = "all"`).
    pub fn all_claims() -> Template {
        Template(vec![Part::AllClaims])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_copy_or_join() {
        let claims = serde_json::json!({"sub": "alice", "acr": "high", "amr": ["pwd", "otp"]});
        let t = Template::parse("${sub} (${acr})").unwrap();
        assert_eq!(
            t.render(&claims),
            Some(Value::String("alice (high)".into()))
        );
        let t = Template::parse("${amr}").unwrap();
        assert_eq!(t.render(&claims), Some(serde_json::json!(["pwd", "otp"])));
        let t = Template::parse("${missing}").unwrap();
        assert_eq!(t.render(&claims), None);
        assert_eq!(Template::all_claims().render(&claims), Some(claims.clone()));
        assert!(Template::parse("${sub").is_err());
        assert!(Template::parse("${}").is_err());
    }
}
