//! GP webpay's web service (CWS v1, SOAP 1.1 document/literal): repeat charges on a
//! registered card, payment status, refunds and revoking a registration.
//!
//! Every request carries a digest — the values of the present fields in the WSDL's order
//! joined by `|`, signed RSA-SHA1 with the merchant's key like the HTTP API — and every answer,
//! a fault included, is verified with the gateway's key before anything is believed: a forged
//! "paid" would give months for free, a forged "declined" would push a member into dunning.
//! Elements are matched by namespace and local name; the gateway's prefixes vary.

use super::Keys;
use super::xml::{self, Element};
use std::time::Duration;

/// The SOAP 1.1 envelope.
pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The operations and their wrappers.
pub const PROC: &str = "http://gpe.cz/pay/pay-ws/proc/v1";
/// The fields inside the wrappers.
pub const TYPES: &str = "http://gpe.cz/pay/pay-ws/proc/v1/type";

/// One operation of the service: its element, its request and answer wrappers and the element
/// its faults carry (several do not follow the naming pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The operation element (`processRecurringPayment`).
    pub name: &'static str,
    /// The request wrapper inside it.
    pub request: &'static str,
    /// The answer wrapper inside `{name}Response`.
    pub response: &'static str,
    /// The fault detail element.
    pub fault: &'static str,
}

/// A repeat charge on a registered card (a recurring master).
pub const RECURRING: Operation = Operation {
    name: "processRecurringPayment",
    request: "recurringPaymentRequest",
    response: "recurringPaymentResponse",
    fault: "paymentServiceException",
};
/// The state of one payment.
pub const PAYMENT_STATUS: Operation = Operation {
    name: "getPaymentStatus",
    request: "paymentStatusRequest",
    response: "paymentStatusResponse",
    fault: "serviceException",
};
/// A refund of a captured payment.
pub const REFUND: Operation = Operation {
    name: "processRefund",
    request: "refundRequest",
    response: "refundRequestResponse",
    fault: "serviceException",
};
/// Ends a registration: no further repeat charges.
pub const REVOKE: Operation = Operation {
    name: "processMasterPaymentRevoke",
    request: "masterPaymentStatusRequest",
    response: "masterPaymentStatusResponse",
    fault: "serviceException",
};

/// A verified answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The operation was done: the answer's fields, in order.
    Done(Vec<(String, String)>),
    /// The gateway refused it, with its return codes (and, where the bank wants the
    /// cardholder, the address where they can confirm).
    Refused {
        /// PRCODE.
        primary: u32,
        /// SRCODE.
        secondary: u32,
        /// `authenticationLink`, when given.
        link: Option<String>,
    },
}

impl Reply {
    /// A field of a done answer.
    pub fn field(&self, name: &str) -> Option<&str> {
        match self {
            Reply::Done(fields) => fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()),
            Reply::Refused { .. } => None,
        }
    }
}

/// Why a call has no verified answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WsError {
    /// The service could not be reached, or answered with something other than SOAP.
    #[error("GP webpay's web service did not answer: {0}")]
    Transport(String),
    /// The answer is not the message this operation answers with.
    #[error("GP webpay's web service answered with an unreadable message: {0}")]
    Unreadable(String),
    /// The answer's signature does not verify with the gateway's key, or it answers another
    /// request.
    #[error("GP webpay's web-service answer is not signed by the gateway")]
    BadSignature,
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// The signed request envelope of `operation` with `fields` in the WSDL's order; absent
/// fields are left out (an empty element would count in the digest).
pub fn request_envelope(keys: &Keys, operation: &Operation, fields: &[(&str, Option<String>)]) -> String {
    let present: Vec<(&str, &str)> =
        fields.iter().filter_map(|(name, value)| value.as_deref().map(|value| (*name, value))).collect();
    let digest = present.iter().map(|(_, value)| *value).collect::<Vec<_>>().join("|");
    let signature = keys.sign(&digest);
    let mut body = String::new();
    for (name, value) in present.iter().chain([("signature", signature.as_str())].iter()) {
        body.push_str(&format!("<type:{name}>{}</type:{name}>", escape(value)));
    }
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP}\" xmlns:v1=\"{PROC}\" xmlns:type=\"{TYPES}\"><soapenv:Header/>\
         <soapenv:Body><v1:{name}><v1:{request}>{body}</v1:{request}></v1:{name}></soapenv:Body></soapenv:Envelope>",
        name = operation.name,
        request = operation.request,
    )
}

/// The fields of an answer wrapper except its signature, in document order.
fn fields_of(wrapper: &Element) -> (Vec<(String, String)>, String) {
    let mut fields = Vec::new();
    let mut signature = String::new();
    for child in wrapper.children.iter().filter(|child| child.namespace == TYPES) {
        if child.name == "signature" {
            signature = child.text.trim().to_owned();
        } else {
            fields.push((child.name.clone(), child.text.clone()));
        }
    }
    (fields, signature)
}

fn joined(fields: &[(String, String)]) -> String {
    fields.iter().map(|(_, value)| value.as_str()).collect::<Vec<_>>().join("|")
}

/// Reads the answer to a request with `message_id` and verifies it with the gateway's key.
pub fn read_reply(keys: &Keys, operation: &Operation, message_id: &str, document: &str) -> Result<Reply, WsError> {
    let root = xml::parse(document).map_err(WsError::Unreadable)?;
    if !root.is(SOAP, "Envelope") {
        return Err(WsError::Unreadable("not a SOAP envelope".to_owned()));
    }
    let body = root.child(SOAP, "Body").ok_or_else(|| WsError::Unreadable("no SOAP body".to_owned()))?;
    if let Some(fault) = body.child(SOAP, "Fault") {
        return read_fault(keys, operation, message_id, fault);
    }
    let wrapper = body
        .child(PROC, &format!("{}Response", operation.name))
        .and_then(|answer| answer.child(PROC, operation.response))
        .ok_or_else(|| WsError::Unreadable(format!("no {} in the answer", operation.response)))?;
    let (fields, signature) = fields_of(wrapper);
    if !keys.verify_signature(&joined(&fields), &signature) {
        return Err(WsError::BadSignature);
    }
    if fields.iter().find(|(name, _)| name == "messageId").map(|(_, value)| value.as_str()) != Some(message_id) {
        return Err(WsError::BadSignature);
    }
    Ok(Reply::Done(fields))
}

fn read_fault(keys: &Keys, operation: &Operation, message_id: &str, fault: &Element) -> Result<Reply, WsError> {
    let detail = fault
        .children
        .iter()
        .find(|child| child.name == "detail")
        .and_then(|detail| detail.child(PROC, operation.fault))
        .ok_or_else(|| {
            let text = fault.children.iter().find(|c| c.name == "faultstring").map(|c| c.text.clone());
            WsError::Unreadable(format!("a fault without {}: {}", operation.fault, text.unwrap_or_default()))
        })?;
    let (fields, signature) = fields_of(detail);
    let value = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    let (Some(id), Some(primary), Some(secondary)) =
        (value("messageId"), value("primaryReturnCode"), value("secondaryReturnCode"))
    else {
        return Err(WsError::Unreadable("a fault without its return codes".to_owned()));
    };
    let link = value("authenticationLink");
    // the documented digest of a fault: the message id and both codes, then the
    // authentication link when there is one; faults that also carry the authorisation's codes
    // are read as every field in order
    let mut documented = format!("{id}|{primary}|{secondary}");
    if let Some(link) = &link {
        documented.push('|');
        documented.push_str(link);
    }
    if !keys.verify_signature(&documented, &signature) && !keys.verify_signature(&joined(&fields), &signature) {
        return Err(WsError::BadSignature);
    }
    if id != message_id {
        return Err(WsError::BadSignature);
    }
    let code =
        |text: &str| text.trim().parse::<u32>().map_err(|_| WsError::Unreadable(format!("return code {text:?}")));
    Ok(Reply::Refused { primary: code(&primary)?, secondary: code(&secondary)?, link })
}

/// A client of the service for one merchant.
pub struct Client {
    http: reqwest::Client,
    url: url::Url,
    provider: String,
    merchant_number: String,
}

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A fresh message id: the gateway refuses one it has seen for the same operation.
fn message_id() -> String {
    let mut bytes = [0u8; 16];
    patron_domain::token::fill_random(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Client {
    /// A client of the service at `url`, for the acquirer `provider` and the merchant.
    pub fn new(url: url::Url, provider: String, merchant_number: String) -> Result<Self, WsError> {
        let http =
            reqwest::Client::builder().timeout(CALL_TIMEOUT).build().map_err(|e| WsError::Transport(e.to_string()))?;
        Ok(Self { http, url, provider, merchant_number })
    }

    /// Calls `operation` with the fields after `messageId`, `provider` and `merchantNumber`.
    pub async fn call(
        &self,
        keys: &Keys,
        operation: &Operation,
        fields: Vec<(&'static str, Option<String>)>,
    ) -> Result<Reply, WsError> {
        let id = message_id();
        let mut all = vec![
            ("messageId", Some(id.clone())),
            ("provider", Some(self.provider.clone())),
            ("merchantNumber", Some(self.merchant_number.clone())),
        ];
        all.extend(fields);
        let envelope = request_envelope(keys, operation, &all);
        let response = self
            .http
            .post(self.url.clone())
            .header("Content-Type", "text/xml;charset=UTF-8")
            .header("SOAPAction", "\"\"")
            .body(envelope)
            .send()
            .await
            .map_err(|e| WsError::Transport(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| WsError::Transport(e.to_string()))?;
        // answers come with 200, faults with 500
        if !(status.is_success() || status.as_u16() == 500) {
            return Err(WsError::Transport(format!("HTTP {status}")));
        }
        read_reply(keys, operation, &id, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpwebpay::tests::key_pair;

    fn keys() -> (Keys, Keys) {
        let (merchant_private, merchant_public) = key_pair();
        let (gateway_private, gateway_public) = key_pair();
        let merchant =
            Keys::from_pem(&merchant_private, "key password", &gateway_public).unwrap_or_else(|e| panic!("{e}"));
        let gateway =
            Keys::from_pem(&gateway_private, "key password", &merchant_public).unwrap_or_else(|e| panic!("{e}"));
        (merchant, gateway)
    }

    fn answer(gateway: &Keys, fields: &[(&str, &str)], prefix: &str) -> String {
        let digest = fields.iter().map(|(_, v)| *v).collect::<Vec<_>>().join("|");
        let mut inner: String = fields.iter().map(|(k, v)| format!("<{prefix}:{k}>{v}</{prefix}:{k}>")).collect();
        inner.push_str(&format!("<{prefix}:signature>{}</{prefix}:signature>", gateway.sign(&digest)));
        format!(
            "<soapenv:Envelope xmlns:soapenv=\"{SOAP}\"><soapenv:Body><ns4:processRecurringPaymentResponse \
             xmlns:ns4=\"{PROC}\" xmlns:{prefix}=\"{TYPES}\" xmlns=\"http://gpe.cz/gpwebpay/additionalInfo/response\">\
             <ns4:recurringPaymentResponse>{inner}</ns4:recurringPaymentResponse></ns4:processRecurringPaymentResponse>\
             </soapenv:Body></soapenv:Envelope>"
        )
    }

    #[test]
    fn requests_sign_the_present_fields_in_order() {
        let (merchant, gateway) = keys();
        let fields = [
            ("messageId", Some("MSG00000000000000001".to_owned())),
            ("provider", Some("0100".to_owned())),
            ("merchantNumber", Some("1234567890".to_owned())),
            ("paymentNumber", Some("1001".to_owned())),
            ("masterPaymentNumber", Some("1000".to_owned())),
            ("orderNumber", None),
            ("amount", Some("29900".to_owned())),
            ("currencyCode", Some("203".to_owned())),
            ("captureFlag", Some("1".to_owned())),
        ];
        let envelope = request_envelope(&merchant, &RECURRING, &fields);
        let root = xml::parse(&envelope).expect("well-formed");
        let wrapper = root.find(PROC, "recurringPaymentRequest").expect("the wrapper");
        let names: Vec<&str> = wrapper.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "messageId",
                "provider",
                "merchantNumber",
                "paymentNumber",
                "masterPaymentNumber",
                "amount",
                "currencyCode",
                "captureFlag",
                "signature"
            ],
            "absent fields are left out, the signature comes last"
        );
        let signature = &wrapper.children[8].text;
        assert!(gateway.verify_signature("MSG00000000000000001|0100|1234567890|1001|1000|29900|203|1", signature));
    }

    #[test]
    fn answers_are_verified_and_forgeries_refused() {
        let (merchant, gateway) = keys();
        let document = answer(&gateway, &[("messageId", "m1"), ("authCode", "379566")], "ns3");
        let reply = read_reply(&merchant, &RECURRING, "m1", &document).expect("verified");
        assert_eq!(reply.field("authCode"), Some("379566"));
        assert_eq!(
            read_reply(&merchant, &RECURRING, "m2", &document),
            Err(WsError::BadSignature),
            "another request's answer"
        );
        let tampered = document.replace("379566", "379567");
        assert_eq!(read_reply(&merchant, &RECURRING, "m1", &tampered), Err(WsError::BadSignature));
        let by_merchant = answer(&merchant, &[("messageId", "m1"), ("authCode", "379566")], "x");
        assert_eq!(
            read_reply(&merchant, &RECURRING, "m1", &by_merchant),
            Err(WsError::BadSignature),
            "signed with another key"
        );
        assert!(matches!(read_reply(&merchant, &RECURRING, "m1", "<html/>"), Err(WsError::Unreadable(_))));
    }

    #[test]
    fn faults_carry_their_codes_and_are_verified_too() {
        let (merchant, gateway) = keys();
        let fault = |signer: &Keys, link: Option<&str>| {
            let digest = match link {
                Some(link) => format!("m1|46|300|{link}"),
                None => "m1|30|1005".to_owned(),
            };
            let (prc, src) = if link.is_some() { ("46", "300") } else { ("30", "1005") };
            let extra = link.map(|l| format!("<t:authenticationLink>{l}</t:authenticationLink>")).unwrap_or_default();
            format!(
                "<s:Envelope xmlns:s=\"{SOAP}\"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>x</faultstring>\
                 <detail><p:paymentServiceException xmlns:p=\"{PROC}\" xmlns:t=\"{TYPES}\"><t:messageId>m1</t:messageId>\
                 <t:primaryReturnCode>{prc}</t:primaryReturnCode><t:secondaryReturnCode>{src}</t:secondaryReturnCode>\
                 <t:signature>{}</t:signature>{extra}</p:paymentServiceException></detail></s:Fault></s:Body></s:Envelope>",
                signer.sign(&digest)
            )
        };
        assert_eq!(
            read_reply(&merchant, &RECURRING, "m1", &fault(&gateway, None)),
            Ok(Reply::Refused { primary: 30, secondary: 1005, link: None })
        );
        assert_eq!(
            read_reply(&merchant, &RECURRING, "m1", &fault(&gateway, Some("https://gw.example/pay/x"))),
            Ok(Reply::Refused { primary: 46, secondary: 300, link: Some("https://gw.example/pay/x".to_owned()) })
        );
        assert_eq!(read_reply(&merchant, &RECURRING, "m1", &fault(&merchant, None)), Err(WsError::BadSignature));
    }
}
