//! The protocol's calls, typed, over any [`Transport`]. An answer counts only
//! if it is the protocol's envelope with this protocol's version: an HTML page
//! with status 200 (a captive portal on the hall's Wi-Fi), an empty body or
//! another server's JSON is an error, never an acknowledgement.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tiyan_core::protocol::{
    ApiError, EnrollRequest, Enrolled, Envelope, ErrorCode, Health, LedgerItem, OfficerSignIn, PROTOCOL_HEADER,
    PROTOCOL_VERSION, PhotoUploadState, REQUEST_ID_HEADER, ReferenceUpdate, Reply, StateQuery, SyncState, Upload,
    UploadAck, paths,
};
use tiyan_core::reference::Officer;
use uuid::Uuid;

use super::transport::{Method, Request, Response, Transport, TransportError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyncError {
    #[error("the server cannot be reached: {0}")]
    Unreachable(#[from] TransportError),
    #[error("the answer (HTTP {status}) is not from a Tiyan server: {snippet:?}")]
    NotAnEnvelope { status: u16, snippet: String },
    #[error("the server speaks protocol {0}, this device {PROTOCOL_VERSION}")]
    ProtocolMismatch(u32),
    #[error("the server refused (HTTP {status}): {}", error.message)]
    Refused { status: u16, error: ApiError },
    #[error("the server's answer does not add up: {0}")]
    Inconsistent(String),
    #[error("a photo from the server does not match its SHA-256")]
    BadPhoto,
    #[error("this device is not enrolled with a server")]
    NotEnrolled,
    #[error("storage: {0}")]
    Store(String),
}

impl SyncError {
    /// The code a screen explains: the server's own code when it refused.
    pub fn code(&self) -> ErrorCode {
        match self {
            SyncError::Unreachable(_) => ErrorCode::Unreachable,
            SyncError::NotAnEnvelope { .. } => ErrorCode::NotAnEnvelope,
            SyncError::ProtocolMismatch(_) => ErrorCode::IncompatibleProtocol,
            SyncError::Refused { error, .. } => error.code,
            SyncError::Inconsistent(_) | SyncError::BadPhoto => ErrorCode::Inconsistent,
            SyncError::NotEnrolled => ErrorCode::NotEnrolled,
            SyncError::Store(_) => ErrorCode::Storage,
        }
    }

    /// Errors that a retry cannot fix (a revoked device, a wrong secret, a
    /// conflicting record): the worker waits for a person instead of retrying.
    pub fn needs_a_person(&self) -> bool {
        match self {
            SyncError::Refused { error, .. } => error.code.needs_a_person(),
            SyncError::ProtocolMismatch(_) | SyncError::NotEnrolled => true,
            _ => false,
        }
    }
}

/// The device's credentials: `Authorization: Bearer <id>:<secret>`.
#[derive(Clone)]
pub struct Credentials {
    pub device_id: Uuid,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("device_id", &self.device_id).finish_non_exhaustive()
    }
}

/// A JSON request body.
fn json(value: &impl Serialize) -> Result<Vec<u8>, SyncError> {
    serde_json::to_vec(value).map_err(|e| SyncError::Store(e.to_string()))
}

/// The protocol version, and the device's credentials when it has them.
fn headers(credentials: Option<&Credentials>) -> Vec<(String, String)> {
    let mut headers = vec![(PROTOCOL_HEADER.to_string(), PROTOCOL_VERSION.to_string())];
    if let Some(c) = credentials {
        headers.push(("authorization".into(), format!("Bearer {}:{}", c.device_id, c.secret)));
    }
    headers
}

pub struct Api<T: Transport> {
    transport: T,
}

fn decode<T: DeserializeOwned>(response: Response) -> Result<T, SyncError> {
    let not_ours = || SyncError::NotAnEnvelope {
        status: response.status,
        snippet: String::from_utf8_lossy(&response.body[..response.body.len().min(80)]).into_owned(),
    };
    // The version first: another protocol may shape its bodies differently.
    #[derive(serde::Deserialize)]
    struct Version {
        protocol: u32,
    }
    let version: Version = serde_json::from_slice(&response.body).map_err(|_| not_ours())?;
    if version.protocol != PROTOCOL_VERSION {
        return Err(SyncError::ProtocolMismatch(version.protocol));
    }
    let envelope: Envelope<T> = serde_json::from_slice(&response.body).map_err(|_| not_ours())?;
    match (envelope.body, response.status) {
        (Reply::Ok(body), 200..=299) => Ok(body),
        (Reply::Error(error), status) => Err(SyncError::Refused { status, error }),
        (Reply::Ok(_), status) => {
            Err(SyncError::NotAnEnvelope { status, snippet: "a success body with an error status".into() })
        }
    }
}

impl<T: Transport> Api<T> {
    pub fn new(transport: T) -> Self {
        Api { transport }
    }

    async fn call<R: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        credentials: Option<&Credentials>,
        body: Vec<u8>,
        extra: Vec<(String, String)>,
    ) -> Result<R, SyncError> {
        let mut headers = headers(credentials);
        headers.extend(extra);
        decode(self.transport.send(Request { method, path, headers, body }).await?)
    }

    pub async fn health(&self) -> Result<Health, SyncError> {
        self.call(Method::Get, paths::HEALTH.into(), None, Vec::new(), vec![]).await
    }

    pub async fn enroll(&self, request: &EnrollRequest) -> Result<Enrolled, SyncError> {
        self.call(Method::Post, paths::ENROLL.into(), None, json(request)?, vec![]).await
    }

    /// What the server holds of this device; the query tells it what the device holds and runs.
    pub async fn state(&self, c: &Credentials, report: &StateQuery) -> Result<SyncState, SyncError> {
        self.call(Method::Get, report.path(), Some(c), Vec::new(), vec![]).await
    }

    /// Sends one page under a fresh request id; a retry is a new request.
    pub async fn upload(&self, c: &Credentials, upload: &Upload) -> Result<UploadAck, SyncError> {
        self.upload_json(c, json(upload)?).await
    }

    /// [`Api::upload`] of a page already serialized (the engine prepares the next
    /// page while the current one travels).
    pub async fn upload_json(&self, c: &Credentials, json: Vec<u8>) -> Result<UploadAck, SyncError> {
        let id = vec![(REQUEST_ID_HEADER.to_string(), Uuid::now_v7().to_string())];
        self.call(Method::Post, paths::UPLOAD.into(), Some(c), json, id).await
    }

    /// How much of a diary photo the server holds.
    pub async fn photo_upload_state(&self, c: &Credentials, sha256: &str) -> Result<PhotoUploadState, SyncError> {
        let path = format!("{}/{sha256}", paths::PHOTO_UPLOADS);
        self.call(Method::Get, path, Some(c), Vec::new(), vec![]).await
    }

    /// The chunk of a diary photo at `offset` (of `size` bytes in all).
    pub async fn photo_chunk(
        &self,
        c: &Credentials,
        sha256: &str,
        offset: u64,
        size: u64,
        chunk: Vec<u8>,
    ) -> Result<PhotoUploadState, SyncError> {
        let path = format!("{}/{sha256}?offset={offset}&size={size}", paths::PHOTO_UPLOADS);
        self.call(Method::Post, path, Some(c), chunk, vec![]).await
    }

    /// The ledger's state of the problems this device reported.
    pub async fn ledger(&self, c: &Credentials) -> Result<Vec<LedgerItem>, SyncError> {
        self.call(Method::Get, paths::LEDGER.into(), Some(c), Vec::new(), vec![]).await
    }

    /// An officer's password checked by the server; their profile if it matched.
    pub async fn officer_sign_in(&self, c: &Credentials, request: &OfficerSignIn) -> Result<Officer, SyncError> {
        self.call(Method::Post, paths::OFFICER_SIGN_IN.into(), Some(c), json(request)?, vec![]).await
    }

    pub async fn reference(&self, c: &Credentials, since: Option<i64>) -> Result<ReferenceUpdate, SyncError> {
        let path = match since {
            Some(v) => format!("{}?since={v}", paths::REFERENCE),
            None => paths::REFERENCE.to_string(),
        };
        self.call(Method::Get, path, Some(c), Vec::new(), vec![]).await
    }

    /// A staff photo, checked against the SHA-256 it is named by.
    pub async fn photo(&self, c: &Credentials, sha256: &str) -> Result<Vec<u8>, SyncError> {
        let path = format!("{}/{sha256}", paths::PHOTOS);
        let request = Request { method: Method::Get, path, headers: headers(Some(c)), body: vec![] };
        let response = self.transport.send(request).await?;
        if response.status != 200 {
            let status = response.status;
            return Err(decode::<()>(response)
                .err()
                .unwrap_or(SyncError::NotAnEnvelope { status, snippet: "a photo answer without a photo".into() }));
        }
        if crate::sha256_hex(&response.body) != sha256 {
            return Err(SyncError::BadPhoto);
        }
        Ok(response.body)
    }
}
