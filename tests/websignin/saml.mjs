// SAML 2.0 pieces of the test IdP: signing keys, reading AuthnRequests and building signed
// Responses. Signatures come from xml-crypto (the library node-saml itself verifies with);
// the hubs verify them with @node-saml/node-saml, so both ends are real implementations.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

const inflateRaw = promisify(zlib.inflateRaw);

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
};
export const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
/** AuthnContextClassRef for password + TOTP (REFEDS MFA profile). */
export const AC_MFA = 'https://refeds.org/profile/mfa';
/** AuthnContextClassRef for password only. */
export const AC_PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * A fresh RSA-2048 key and a self-signed certificate for it (openssl, 30 days).
 * The key is made as PEM and never exported from a KeyObject (see newSigningKeys in
 * ../idp/idp.mjs for the Node 20 deadlock that avoids).
 */
export function makeSigningKeys(commonName = 'Hublink Test SAML IdP') {
  const { privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  // Node's child stdin is a socket, which openssl cannot open as /dev/stdin: use a file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hublink-saml-key-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    fs.writeFileSync(keyFile, privateKey, { mode: 0o600 });
    const cert = execFileSync('openssl', [
      'req', '-x509', '-new', '-key', keyFile, '-sha256', '-days', '30',
      '-subj', `/CN=${commonName}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    return { key: privateKey, cert };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The base64 body of a PEM certificate (what goes into <ds:X509Certificate>). */
export const certBody = (pem) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

export const xmlEscape = (s) => String(s)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export const newId = () => `_${crypto.randomBytes(20).toString('hex')}`;
const instant = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const badRequest = (message) => Object.assign(new Error(message), { status: 400 });

/**
 * Decode a SAMLRequest parameter: deflated + base64 for the HTTP-Redirect binding,
 * base64 only for HTTP-POST. Returns {id, issuer, acsUrl, protocolBinding, forceAuthn,
 * isPassive, destination, xml}; throws {status: 400} for anything that is not an AuthnRequest.
 */
export async function readAuthnRequest(samlRequest, binding) {
  if (!samlRequest) throw badRequest('The request has no SAMLRequest parameter.');
  const raw = Buffer.from(samlRequest, 'base64');
  let xml;
  try {
    xml = (binding === 'redirect' ? await inflateRaw(raw) : raw).toString('utf8');
  } catch {
    throw badRequest('The SAMLRequest parameter is not deflated base64 (HTTP-Redirect binding).');
  }
  const errors = [];
  const doc = new DOMParser({
    onError: (level, msg) => { if (level !== 'warning') errors.push(msg); },
  }).parseFromString(xml, 'text/xml');
  const root = doc?.documentElement;
  if (errors.length || !root) throw badRequest('The SAMLRequest is not well-formed XML.');
  if (root.namespaceURI !== NS.samlp || root.localName !== 'AuthnRequest') {
    throw badRequest(`Expected a SAML AuthnRequest, got ${root.localName ?? 'nothing'}.`);
  }
  const id = root.getAttribute('ID');
  if (!id) throw badRequest('The AuthnRequest has no ID.');
  const issuerEl = Array.from(root.childNodes)
    .find((n) => n.namespaceURI === NS.saml && n.localName === 'Issuer');
  return {
    id,
    issuer: issuerEl?.textContent?.trim() ?? '',
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || null,
    protocolBinding: root.getAttribute('ProtocolBinding') || null,
    destination: root.getAttribute('Destination') || null,
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    isPassive: root.getAttribute('IsPassive') === 'true',
    xml,
  };
}

function sign(xml, { key, cert }, elementName, issuerPath) {
  const sig = new SignedXml({
    privateKey: key,
    publicCert: cert,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: `//*[local-name(.)='${elementName}']`,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  // The schema puts <ds:Signature> right after the element's <saml:Issuer>.
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: issuerPath, action: 'after' } });
  return sig.getSignedXml();
}

const attribute = (name, value) => `<saml:Attribute Name="${xmlEscape(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">`
  + `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${xmlEscape(value)}</saml:AttributeValue>`
  + '</saml:Attribute>';

/**
 * A SAML Response with one assertion for `nameId`, as XML text.
 *   issuer, audience (SP entity ID), acsUrl, inResponseTo, nameId, attributes {name: value},
 *   authnContext, authnInstant (ms), sessionIndex, lifetimeSeconds (300),
 *   keys {key, cert}, signResponse (true), signAssertion (true), now (ms; for expired ones)
 */
export function buildResponse(o) {
  const now = o.now ?? Date.now();
  const lifetime = (o.lifetimeSeconds ?? 300) * 1000;
  const inResponseTo = o.inResponseTo ? ` InResponseTo="${xmlEscape(o.inResponseTo)}"` : '';
  const issuer = `<saml:Issuer>${xmlEscape(o.issuer)}</saml:Issuer>`;
  const attrs = Object.entries(o.attributes ?? {}).map(([k, v]) => attribute(k, v)).join('');
  let assertion = `<saml:Assertion xmlns:saml="${NS.saml}" ID="${newId()}" Version="2.0" IssueInstant="${instant(now)}">`
    + issuer
    + '<saml:Subject>'
    + `<saml:NameID Format="${NAMEID_UNSPECIFIED}">${xmlEscape(o.nameId)}</saml:NameID>`
    + '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
    + `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${instant(now + lifetime)}" Recipient="${xmlEscape(o.acsUrl)}"/>`
    + '</saml:SubjectConfirmation>'
    + '</saml:Subject>'
    + `<saml:Conditions NotBefore="${instant(now - 60_000)}" NotOnOrAfter="${instant(now + lifetime)}">`
    + `<saml:AudienceRestriction><saml:Audience>${xmlEscape(o.audience)}</saml:Audience></saml:AudienceRestriction>`
    + '</saml:Conditions>'
    + `<saml:AuthnStatement AuthnInstant="${instant(o.authnInstant ?? now)}" SessionIndex="${xmlEscape(o.sessionIndex ?? newId())}">`
    + `<saml:AuthnContext><saml:AuthnContextClassRef>${xmlEscape(o.authnContext ?? AC_PASSWORD)}</saml:AuthnContextClassRef></saml:AuthnContext>`
    + '</saml:AuthnStatement>'
    + (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '')
    + '</saml:Assertion>';
  if (o.signAssertion !== false) {
    assertion = sign(assertion, o.keys, 'Assertion', "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']");
  }
  let response = `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${newId()}" Version="2.0" IssueInstant="${instant(now)}" Destination="${xmlEscape(o.acsUrl)}"${inResponseTo}>`
    + issuer
    + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
    + assertion
    + '</samlp:Response>';
  if (o.signResponse !== false) {
    response = sign(response, o.keys, 'Response', "/*[local-name(.)='Response']/*[local-name(.)='Issuer']");
  }
  return response;
}

/** IdP metadata (EntityDescriptor) with the signing certificate and both SSO bindings. */
export function idpMetadata({ entityId, ssoUrl, sloUrl, cert }) {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" entityID="${xmlEscape(entityId)}">`
    + `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${NS.samlp}">`
    + `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
    + (sloUrl ? `<md:SingleLogoutService Binding="${BINDING_REDIRECT}" Location="${xmlEscape(sloUrl)}"/>` : '')
    + `<md:NameIDFormat>${NAMEID_UNSPECIFIED}</md:NameIDFormat>`
    + `<md:SingleSignOnService Binding="${BINDING_REDIRECT}" Location="${xmlEscape(ssoUrl)}"/>`
    + `<md:SingleSignOnService Binding="${BINDING_POST}" Location="${xmlEscape(ssoUrl)}"/>`
    + '</md:IDPSSODescriptor></md:EntityDescriptor>\n';
}
