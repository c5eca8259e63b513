// The shared codec cases on every cookie codec tessera ships.

import { createSealedCodec } from "../src/codecs/sealed.js";
import { createSignedCodec } from "../src/codecs/signed.js";
import { createKeyRing } from "../src/crypto/keyring.js";
import { describeCodec } from "./codec-conformance.js";

describeCodec("sealed", (secrets) => createSealedCodec(createKeyRing(secrets)));
describeCodec("signed", (secrets) => createSignedCodec(createKeyRing(secrets)));
