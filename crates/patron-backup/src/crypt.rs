//! Encryption middlewares: age to public keys, and Tergum's OpenPGP passphrase (gpg).
