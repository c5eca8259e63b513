// tessera/codecs/flask: sessions in Flask's own session cookie, so a Flask app and a TypeScript app share them.

export { flaskCodec, defaults } from "./codec.js";
export type { FlaskCodecOptions } from "./codec.js";
export { weakKeyWarningCode } from "./keys.js";
export { flaskTuple, flaskBytes, flaskMarkup, flaskUuid, flaskDatetime, flaskInt, flaskFloat, flaskFlashes, flashMessages, fromFlask } from "./values.js";
export type { FlaskTuple, FlaskBytes, FlaskMarkup, FlaskUuid, FlaskDatetime, FlaskInt, FlaskFloat, FlaskDict, FlaskFlashes } from "./values.js";
