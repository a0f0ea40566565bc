//! Just enough XML for SOAP answers: a document read into a tree of elements named by their
//! namespace and local name (gateways choose their prefixes freely, so prefixes are never
//! compared), with their text.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// An element: its namespace, local name, text and child elements, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The namespace URI (empty when unqualified).
    pub namespace: String,
    /// The local name.
    pub name: String,
    /// The text directly inside it (entities resolved).
    pub text: String,
    /// The child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// Whether it is `name` in `namespace`.
    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace == namespace && self.name == name
    }

    /// The first child that is `name` in `namespace`.
    pub fn child(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.is(namespace, name))
    }

    /// The first element below it (at any depth) that is `name` in `namespace`.
    pub fn find(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find_map(|child| if child.is(namespace, name) { Some(child) } else { child.find(namespace, name) })
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Reads a document into its root element.
pub fn parse(document: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(document);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        let namespace = match namespace {
            ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.into_inner()).into_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(prefix) => {
                return Err(format!("unknown namespace prefix {:?}", String::from_utf8_lossy(&prefix)));
            }
        };
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().into_inner()).into_owned();
                stack.push(Element { namespace, name, ..Element::default() });
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.local_name().into_inner()).into_owned();
                let element = Element { namespace, name, ..Element::default() };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text.xml10_content().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&data.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(character) => character,
                    None => {
                        let name = reference.decode().map_err(|e| e.to_string())?;
                        predefined(&name).ok_or_else(|| format!("unknown entity &{name};"))?
                    }
                };
                if let Some(open) = stack.last_mut() {
                    open.text.push(resolved);
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else { return Err("an end tag without a start".to_owned()) };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Eof => return Err("the document ended early".to_owned()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_named_by_namespace_whatever_their_prefix() {
        let document = r#"<?xml version="1.0"?>
            <a:Envelope xmlns:a="urn:env" xmlns:x="urn:types"><a:Body>
              <x:value>one &amp; &#50;<![CDATA[<3>]]></x:value><x:empty/>
            </a:Body></a:Envelope>"#;
        let root = parse(document).expect("well-formed");
        assert!(root.is("urn:env", "Envelope"));
        let body = root.child("urn:env", "Body").expect("a body");
        assert_eq!(body.child("urn:types", "value").map(|v| v.text.as_str()), Some("one & 2<3>"));
        assert!(body.child("urn:types", "empty").is_some());
        assert!(root.find("urn:types", "empty").is_some());
        assert!(body.child("urn:env", "value").is_none(), "the namespace counts, not the prefix");
    }

    #[test]
    fn broken_documents_are_errors() {
        for broken in ["<a><b></a>", "<a>", "<p:a/>", "<a>&nope;</a>"] {
            assert!(parse(broken).is_err(), "{broken}");
        }
    }
}
