//! A small shell tokenizer for the lessons' command lines: words (with quotes and escapes) and the
//! operators the lessons use (`|`, `>`, `(`, `)`, `&&`, `;`). Unclosed quotes are located errors.

/// A token of a shell line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(String),
    Op(&'static str),
}

/// A tokenizing error at a 0-based column of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub column: usize,
    pub message: String,
}

/// Split one logical line into tokens.
pub fn tokenize(line: &str) -> Result<Vec<Token>, ShellError> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                let start = i;
                i += 1;
                in_word = true;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(ShellError {
                                column: start,
                                message: format!("unclosed {c} quote"),
                            })
                        }
                        Some(&q) if q == c => break,
                        Some('\\') if c == '"' && i + 1 < chars.len() => {
                            word.push(chars[i + 1]);
                            i += 1;
                        }
                        Some(&other) => word.push(other),
                    }
                    i += 1;
                }
            }
            '\\' if i + 1 < chars.len() => {
                word.push(chars[i + 1]);
                in_word = true;
                i += 1;
            }
            c if c.is_whitespace() => end_word(&mut tokens, &mut word, &mut in_word),
            '#' if !in_word => break,
            '|' | '>' | '<' | '(' | ')' | ';' | '&' => {
                end_word(&mut tokens, &mut word, &mut in_word);
                let op = match (c, chars.get(i + 1)) {
                    ('&', Some('&')) => {
                        i += 1;
                        "&&"
                    }
                    ('|', Some('|')) => {
                        i += 1;
                        "||"
                    }
                    ('>', Some('>')) => {
                        i += 1;
                        ">>"
                    }
                    ('|', _) => "|",
                    ('>', _) => ">",
                    ('<', _) => "<",
                    ('(', _) => "(",
                    (')', _) => ")",
                    (';', _) => ";",
                    _ => "&",
                };
                tokens.push(Token::Op(op));
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut tokens, &mut word, &mut in_word);
    Ok(tokens)
}

fn end_word(tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool) {
    if *in_word {
        tokens.push(Token::Word(std::mem::take(word)));
        *in_word = false;
    }
}

/// A parsed line: the commands of its pipeline (parentheses dropped) and an optional `> file`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pipeline {
    pub commands: Vec<Vec<String>>,
    pub redirect: Option<String>,
}

/// Tokenize and split a line into a pipeline.
pub fn pipeline(line: &str) -> Result<Pipeline, ShellError> {
    let mut p = Pipeline::default();
    let mut current = Vec::new();
    let mut tokens = tokenize(line)?.into_iter().peekable();
    while let Some(t) = tokens.next() {
        match t {
            Token::Word(w) => current.push(w),
            Token::Op("|") => p.commands.push(std::mem::take(&mut current)),
            Token::Op(">") | Token::Op(">>") => match tokens.next() {
                Some(Token::Word(f)) => p.redirect = Some(f),
                _ => {
                    return Err(ShellError {
                        column: line.find('>').unwrap_or(0),
                        message: "redirect `>` without a file name".into(),
                    })
                }
            },
            Token::Op("(") | Token::Op(")") => {}
            Token::Op(op) => {
                return Err(ShellError {
                    column: line.find(op).unwrap_or(0),
                    message: format!(
                        "`{op}` is not supported in a lesson step; put one command per line"
                    ),
                })
            }
        }
    }
    if !current.is_empty() {
        p.commands.push(current);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_quotes_and_pipes() {
        let p = pipeline(r#"(yq e '.users[0].user."client-key-data"' ~/.kube/config | base64 --decode) > client_key_data.key"#).unwrap();
        assert_eq!(
            p.commands[0],
            [
                "yq",
                "e",
                r#".users[0].user."client-key-data""#,
                "~/.kube/config"
            ]
        );
        assert_eq!(p.commands[1], ["base64", "--decode"]);
        assert_eq!(p.redirect.as_deref(), Some("client_key_data.key"));
    }

    #[test]
    fn double_quoted_words_lose_their_quotes() {
        let t = tokenize(r#"k3d cluster create x -p "8081:80@loadbalancer""#).unwrap();
        assert_eq!(t.last(), Some(&Token::Word("8081:80@loadbalancer".into())));
    }

    #[test]
    fn an_unclosed_quote_is_located() {
        let e = tokenize("kubectl run 'nginx").unwrap_err();
        assert_eq!(e.column, 12);
    }
}
