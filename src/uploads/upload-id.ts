// The shape of an upload id, apart from the rest of the contract (upload-record.ts) so that
// browser code type-checked against the API's schemas (src/gallery/) can import it.

/** Upload ids are the app's own: `upl_` and 22 base64url characters (128 random bits).
 * Anything else is refused before a lookup. */
export const UPLOAD_ID_PATTERN = /^upl_[A-Za-z0-9_-]{22}$/;
