"""Checks edge-oidc's JWS, JWE and JWKS with Debian's python3-jwcrypto and python3-authlib.

Usage: /usr/bin/python3 test/interop/verify.py <fixture.json>  (written by test/interop/run.ts)
Prints one line per check and last `N passed, M failed`; exits non-zero when anything failed.
"""
import base64
import hashlib
import json
import sys

INSTALL = 'apt-get install python3-jwcrypto python3-authlib'
try:
    from authlib.jose import JsonWebEncryption, JsonWebKey, JsonWebToken
    from authlib.jose.errors import BadSignatureError
    from cryptography.exceptions import InvalidTag
    from jwcrypto.jwe import JWE, InvalidJWEData
    from jwcrypto.jwk import JWK, JWKSet
    from jwcrypto.jws import JWS, InvalidJWSSignature
except ImportError as err:
    print(f'FAIL prerequisites: {err}; install them with: {INSTALL}')
    print('0 passed, 1 failed')
    sys.exit(2)

JWE_ALGS = ['RSA-OAEP-256', 'A256CBC-HS512']
passed = failed = 0


def check(name, fn):
    """Runs one check: it passes when fn returns without raising."""
    global passed, failed
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - every failure is reported, none is fatal
        failed += 1
        print(f'FAIL {name}: {type(err).__name__}: {err}')
    else:
        passed += 1
        print(f'ok   {name}')


def expect_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError(f'{what}: got {actual!r}, expected {expected!r}')


def expect_raises(errors, fn, what):
    try:
        fn()
    except errors:
        return
    raise AssertionError(f'{what} was accepted')


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def flip_byte(token, segment):
    """The token with one bit of one byte of `segment` flipped (so the check itself can fail)."""
    parts = token.split('.')
    raw = bytearray(b64url_decode(parts[segment]))
    raw[len(raw) // 2] ^= 0x01
    parts[segment] = b64url(bytes(raw))
    return '.'.join(parts)


def check_jwks_key(name, key, expected_use, expected_alg):
    """x5c's certificate holds the JWK's public key; x5t / x5t#S256 are its SHA-1 / SHA-256."""
    der = base64.b64decode(key['x5c'][0])
    expect_equal(key.get('use'), expected_use, 'use')
    expect_equal(key.get('alg'), expected_alg, 'alg')
    pem = b'-----BEGIN CERTIFICATE-----\n' + base64.encodebytes(der) + b'-----END CERTIFICATE-----\n'
    from_cert = JWK.from_pem(pem)
    published = JWK(**{k: v for k, v in key.items() if k in ('kty', 'n', 'e', 'crv', 'x', 'y')})
    expect_equal(from_cert.thumbprint(), published.thumbprint(), f'{name}: certificate key thumbprint')
    expect_equal(key['x5t#S256'], b64url(hashlib.sha256(der).digest()), 'x5t#S256')
    expect_equal(key['x5t'], b64url(hashlib.sha1(der).digest()), 'x5t')  # noqa: S324 - RFC 7517 §4.8


def jwcrypto_verify(token, key, case):
    jws = JWS()
    jws.allowed_algs = [case['expected']['alg']]
    jws.deserialize(token)
    jws.verify(key)
    return json.loads(jws.payload), jws.jose_header


def authlib_verify(token, key, case):
    payload = case['payload']
    options = {'iss': {'essential': True, 'value': payload['iss']}, 'aud': {'essential': True, 'value': payload['aud']}}
    claims = JsonWebToken([case['expected']['alg']]).decode(token, key, claims_options=options)
    claims.validate(now=payload['iat'] + 1)
    return dict(claims), dict(claims.header)


def check_jws(label, token, case):
    """Both libraries verify the JWS against the published JWKS (or the client secret) and read the same."""
    exp = case['expected']
    header = {'alg': exp['alg'], 'typ': exp['typ'], **({'kid': exp['kid']} if exp['kid'] else {})}
    if exp['kid']:
        keyset = JWKSet()
        al_key = case['jwks']

        def find_kid():
            keyset.import_keyset(json.dumps(case['jwks']))
            expect_equal(keyset.get_key(exp['kid']) is not None, True, 'kid in JWKS')
        check(f'{label}: jwcrypto imports the JWKS and finds kid {exp["kid"][:12]}...', find_kid)
        jc_key = keyset.get_key(exp['kid'])
    else:
        secret = case['client_secret'].encode()
        jc_key, al_key = JWK(kty='oct', k=b64url(secret)), secret

    def same(verify):
        def run():
            claims, got = verify(token, jc_key if verify is jwcrypto_verify else al_key, case)
            expect_equal(got, header, 'header')
            expect_equal(claims, case['payload'], 'claims')
        return run
    check(f'{label}: jwcrypto verifies {exp["alg"]}, header and claims', same(jwcrypto_verify))
    check(f'{label}: authlib verifies {exp["alg"]}, header and claims', same(authlib_verify))
    bad = flip_byte(token, 2)
    check(f'{label}: jwcrypto rejects a flipped signature byte',
          lambda: expect_raises(InvalidJWSSignature, lambda: jwcrypto_verify(bad, jc_key, case), 'tampered JWS'))
    check(f'{label}: authlib rejects a flipped signature byte',
          lambda: expect_raises(BadSignatureError, lambda: authlib_verify(bad, al_key, case), 'tampered JWS'))


def check_jwe(label, case):
    """Both libraries decrypt with the encryption key, see exactly the expected header, and find the JWS."""
    enc = case['encryption']
    private_pem = enc['private_key_pem'].encode()
    loaded = {}
    check(f'{label}: jwcrypto loads the encryption private key', lambda: loaded.update(key=JWK.from_pem(private_pem)))
    jc_key = loaded.get('key')
    published = [k for k in case['jwks'].get('keys', []) if k.get('kid') == enc['header']['kid']]
    check(f'{label}: JWKS publishes the encryption key and it matches the private key', lambda: expect_equal(
        [JWK(**k).thumbprint() for k in published], [jc_key.thumbprint()], 'enc key'))
    nested = {}

    def jwcrypto_decrypt(token):
        jwe = JWE()
        jwe.allowed_algs = JWE_ALGS
        jwe.deserialize(token, key=jc_key)
        return jwe.payload.decode(), json.loads(jwe.objects['protected'])

    def authlib_decrypt(token):
        data = JsonWebEncryption(JWE_ALGS).deserialize_compact(token, private_pem)
        return data['payload'].decode(), data['header']

    def decrypts(name, decrypt):
        def run():
            payload, header = decrypt(case['token'])
            expect_equal(header, enc['header'], 'protected header')
            expect_equal(payload.count('.'), 2, 'nested compact JWS')
            nested[name] = payload
        return run
    check(f'{label}: jwcrypto decrypts RSA-OAEP-256/A256CBC-HS512, header exact', decrypts('jwcrypto', jwcrypto_decrypt))
    check(f'{label}: authlib decrypts RSA-OAEP-256/A256CBC-HS512, header exact', decrypts('authlib', authlib_decrypt))
    check(f'{label}: both libraries find the same nested JWS',
          lambda: expect_equal(nested.get('jwcrypto'), nested.get('authlib'), 'nested JWS'))
    bad = flip_byte(case['token'], 4)
    check(f'{label}: jwcrypto rejects a flipped tag byte',
          lambda: expect_raises(InvalidJWEData, lambda: jwcrypto_decrypt(bad), 'tampered JWE'))
    check(f'{label}: authlib rejects a flipped tag byte',
          lambda: expect_raises(InvalidTag, lambda: authlib_decrypt(bad), 'tampered JWE'))
    if 'jwcrypto' in nested:
        check_jws(f'{label} (nested JWS)', nested['jwcrypto'], case)


def check_case(case):
    label = case['name']
    keys = case['jwks'].get('keys', [])
    if not case['expected']['kid'] and 'encryption' not in case:
        # RFC 7517 §5: an empty key set is {"keys": []} (authentik answers {}).
        check(f'{label}: HS256 provider publishes an empty JWKS', lambda: expect_equal(case['jwks'], {'keys': []}, 'JWKS'))
        check(f'{label}: authlib reads the empty JWKS', lambda: JsonWebKey.import_key_set(case['jwks']))
    if keys:
        check(f'{label}: authlib imports the JWKS', lambda: JsonWebKey.import_key_set(case['jwks']))
    for key in keys:
        use = key.get('use')
        alg = case['expected']['alg'] if use == 'sig' else 'RSA-OAEP-256'
        check(f'{label}: {use} key x5c/x5t/x5t#S256 match the JWK',
              lambda key=key, use=use, alg=alg: check_jwks_key(label, key, use, alg))
    if 'encryption' in case:
        check_jwe(label, case)
    else:
        check_jws(label, case['token'], case)


def main():
    with open(sys.argv[1], encoding='utf-8') as fixture:
        cases = json.load(fixture)['cases']
    check('fixture has cases', lambda: expect_equal(len(cases) > 0, True, 'cases'))
    for case in cases:
        # A crash in one case's set-up is one failure; the other cases still run.
        check(f'{case.get("name")}: all checks ran', lambda case=case: check_case(case))
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
