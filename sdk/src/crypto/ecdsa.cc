#include "crypto/ecdsa.h"

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include <cstring>

#include "crypto/mbedtls_object.h"
#include "crypto/mbedtls_status.h"
#include "crypto/sha256.h"

namespace tacet::crypto {
namespace {

using internal::MbedtlsStatus;

// Owners of the mbedTLS objects used below; their free functions also wipe secrets.
using Keypair =
    internal::MbedtlsObject<mbedtls_ecp_keypair, mbedtls_ecp_keypair_init, mbedtls_ecp_keypair_free>;
using Pk = internal::MbedtlsObject<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using Mpi = internal::MbedtlsObject<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;

Status LoadP256(mbedtls_ecp_keypair& kp) {
  return MbedtlsStatus(mbedtls_ecp_group_load(&kp.grp, MBEDTLS_ECP_DP_SECP256R1),
                       "ECDSA P-256: mbedtls_ecp_group_load");
}

// Loads a 65-byte SEC 1 uncompressed point into kp.Q (group already loaded) and checks that it is
// on the curve.
Status ReadPublicKey(ByteView public_key, mbedtls_ecp_keypair& kp) {
  if (public_key.size() != kEcdsaP256PublicKeySize || public_key[0] != 0x04) {
    return InvalidArgumentError(
        "ECDSA P-256 public key must be a 65-byte SEC 1 uncompressed point (0x04 || X || Y), got " +
        std::to_string(public_key.size()) + " bytes" +
        (public_key.empty() ? std::string() : " starting with 0x" + HexEncode(public_key.subview(0, 1))));
  }
  if (mbedtls_ecp_point_read_binary(&kp.grp, &kp.Q, public_key.data(), public_key.size()) != 0 ||
      mbedtls_ecp_check_pubkey(&kp.grp, &kp.Q) != 0) {
    return InvalidArgumentError("ECDSA P-256 public key is not a point on the P-256 curve");
  }
  return OkStatus();
}

// Loads a 32-byte big-endian scalar into kp.d (group already loaded) and checks 1 <= d < n.
Status ReadPrivateKey(ByteView private_key, mbedtls_ecp_keypair& kp) {
  if (private_key.size() != kEcdsaP256PrivateKeySize) {
    return InvalidArgumentError("ECDSA P-256 private key must be a 32-byte scalar, got " +
                                std::to_string(private_key.size()) + " bytes");
  }
  TACET_RETURN_IF_ERROR(MbedtlsStatus(
      mbedtls_mpi_read_binary(&kp.d, private_key.data(), private_key.size()),
      "ECDSA P-256: mbedtls_mpi_read_binary(private key)"));
  if (mbedtls_ecp_check_privkey(&kp.grp, &kp.d) != 0) {
    return InvalidArgumentError("ECDSA P-256 private key is not a scalar in [1, n-1]");
  }
  return OkStatus();
}

StatusOr<Bytes> WritePublicKey(const mbedtls_ecp_keypair& kp) {
  Bytes out(kEcdsaP256PublicKeySize);
  size_t olen = 0;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(
      mbedtls_ecp_point_write_binary(&kp.grp, &kp.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
                                     out.data(), out.size()),
      "ECDSA P-256: mbedtls_ecp_point_write_binary"));
  if (olen != kEcdsaP256PublicKeySize) return InternalError("ECDSA P-256: public key has wrong size");
  return out;
}

StatusOr<SecretBytes> WritePrivateKey(const mbedtls_ecp_keypair& kp) {
  SecretBytes out(kEcdsaP256PrivateKeySize);
  TACET_RETURN_IF_ERROR(
      MbedtlsStatus(mbedtls_mpi_write_binary(&kp.d, out.data(), out.size()),
                    "ECDSA P-256: mbedtls_mpi_write_binary(private key)"));
  return out;
}

// Checks that a parsed key is an EC key on P-256; returns its keypair.
StatusOr<mbedtls_ecp_keypair*> RequireP256(mbedtls_pk_context& pk, const char* what) {
  const mbedtls_pk_type_t type = mbedtls_pk_get_type(&pk);
  if (type != MBEDTLS_PK_ECKEY && type != MBEDTLS_PK_ECDSA) {
    return InvalidArgumentError(std::string(what) + " is a " + mbedtls_pk_get_name(&pk) +
                                " key, expected an ECDSA P-256 (secp256r1) key");
  }
  mbedtls_ecp_keypair* kp = mbedtls_pk_ec(pk);
  if (kp->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
    const mbedtls_ecp_curve_info* info = mbedtls_ecp_curve_info_from_grp_id(kp->grp.id);
    return InvalidArgumentError(std::string(what) + " is on curve " +
                                (info != nullptr ? info->name : "(unknown)") +
                                ", expected P-256 (secp256r1)");
  }
  return kp;
}

// Makes `pk` an EC key on P-256 with no key material yet; returns its keypair to fill in.
StatusOr<mbedtls_ecp_keypair*> SetUpP256(Pk& pk) {
  TACET_RETURN_IF_ERROR(
      MbedtlsStatus(mbedtls_pk_setup(pk.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)),
                    "ECDSA P-256: mbedtls_pk_setup"));
  mbedtls_ecp_keypair* kp = mbedtls_pk_ec(*pk.get());
  TACET_RETURN_IF_ERROR(LoadP256(*kp));
  return kp;
}

// mbedTLS parses PEM only from a NUL-terminated buffer whose length includes the NUL.
SecretBytes NulTerminated(std::string_view pem) {
  SecretBytes buf(pem.size() + 1);
  if (!pem.empty()) std::memcpy(buf.data(), pem.data(), pem.size());
  return buf;
}

// Reads one DER INTEGER (X.690 §8.3, §10.1) holding a positive value from the front of `in`:
// short-form length (P-256 integers have at most 33 content bytes), not negative, and minimal
// (a leading 0x00 only when the next byte has its top bit set). Returns false otherwise.
bool ReadDerPositiveInteger(ByteView& in, ByteView* value) {
  if (in.size() < 2 || in[0] != 0x02) return false;
  const size_t len = in[1];
  if (len == 0 || len > kEcdsaP256PrivateKeySize + 1 || in.size() - 2 < len) return false;
  const ByteView v = in.subview(2, len);
  if ((v[0] & 0x80) != 0) return false;                            // negative
  if (len > 1 && v[0] == 0x00 && (v[1] & 0x80) == 0) return false;  // redundant leading zero
  *value = v;
  in = in.subview(2 + len);
  return true;
}

// Decodes Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3, RFC 5480 §2.2)
// in its one DER encoding and nothing else: mbedTLS' own decoder also takes BER (long-form
// lengths, redundant leading zeros, negative integers), which would give every signature many
// encodings. The range 1 <= r, s < n is left to mbedtls_ecdsa_verify.
bool ParseDerSignature(ByteView der, ByteView* r, ByteView* s) {
  // At most 2 * 35 content bytes, so DER requires the short-form length.
  if (der.size() < 2 || der[0] != 0x30 || der[1] >= 0x80 || der[1] != der.size() - 2) return false;
  ByteView rest = der.subview(2);
  return ReadDerPositiveInteger(rest, r) && ReadDerPositiveInteger(rest, s) && rest.empty();
}

}  // namespace

Status EcdsaP256Verify(ByteView public_key, ByteView message, ByteView signature_der) {
  Keypair key;
  TACET_RETURN_IF_ERROR(LoadP256(*key.get()));
  TACET_RETURN_IF_ERROR(ReadPublicKey(public_key, *key.get()));
  ByteView r_bytes, s_bytes;
  if (!ParseDerSignature(signature_der, &r_bytes, &s_bytes)) {
    return DataLossError("ECDSA signature does not verify (not a DER-encoded (r, s) pair)");
  }
  Mpi r, s;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_mpi_read_binary(r.get(), r_bytes.data(), r_bytes.size()),
                                      "ECDSA P-256: mbedtls_mpi_read_binary(r)"));
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_mpi_read_binary(s.get(), s_bytes.data(), s_bytes.size()),
                                      "ECDSA P-256: mbedtls_mpi_read_binary(s)"));
  const auto hash = Sha256(message);
  const int ret =
      mbedtls_ecdsa_verify(&key->grp, hash.data(), hash.size(), &key->Q, r.get(), s.get());
  if (ret == 0) return OkStatus();
  if (ret == MBEDTLS_ERR_MPI_ALLOC_FAILED || ret == MBEDTLS_ERR_ECP_ALLOC_FAILED) {
    return MbedtlsStatus(ret, "ECDSA P-256: mbedtls_ecdsa_verify");
  }
  // MBEDTLS_ERR_ECP_VERIFY_FAILED, which also covers r or s outside [1, n-1].
  return DataLossError("ECDSA signature does not verify");
}

StatusOr<EcdsaP256KeyPair> EcdsaP256Generate(Drbg& drbg) {
  Keypair key;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, key.get(), &Drbg::MbedtlsRandom, &drbg),
      "ECDSA P-256: mbedtls_ecp_gen_key"));
  EcdsaP256KeyPair out;
  TACET_ASSIGN_OR_RETURN(out.private_key, WritePrivateKey(*key.get()));
  TACET_ASSIGN_OR_RETURN(out.public_key, WritePublicKey(*key.get()));
  return out;
}

StatusOr<Bytes> EcdsaP256Sign(ByteView private_key, ByteView message, Drbg& drbg) {
  Keypair key;
  TACET_RETURN_IF_ERROR(LoadP256(*key.get()));
  TACET_RETURN_IF_ERROR(ReadPrivateKey(private_key, *key.get()));
  const auto hash = Sha256(message);
  Bytes sig(MBEDTLS_ECDSA_MAX_LEN);
  size_t sig_len = 0;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(
      mbedtls_ecdsa_write_signature(key.get(), MBEDTLS_MD_SHA256, hash.data(), hash.size(),
                                    sig.data(), &sig_len, &Drbg::MbedtlsRandom, &drbg),
      "ECDSA P-256: mbedtls_ecdsa_write_signature"));
  sig.resize(sig_len);
  return sig;
}

StatusOr<std::string> EcdsaP256PublicKeyToPem(ByteView public_key) {
  Pk pk;
  TACET_ASSIGN_OR_RETURN(mbedtls_ecp_keypair * kp, SetUpP256(pk));
  TACET_RETURN_IF_ERROR(ReadPublicKey(public_key, *kp));
  char buf[512];
  TACET_RETURN_IF_ERROR(MbedtlsStatus(
      mbedtls_pk_write_pubkey_pem(pk.get(), reinterpret_cast<unsigned char*>(buf), sizeof(buf)),
      "ECDSA P-256: mbedtls_pk_write_pubkey_pem"));
  return std::string(buf);
}

StatusOr<std::string> EcdsaP256PrivateKeyToPem(const EcdsaP256KeyPair& key_pair) {
  Pk pk;
  TACET_ASSIGN_OR_RETURN(mbedtls_ecp_keypair * kp, SetUpP256(pk));
  TACET_RETURN_IF_ERROR(ReadPrivateKey(key_pair.private_key.view(), *kp));
  TACET_RETURN_IF_ERROR(ReadPublicKey(key_pair.public_key, *kp));
  if (mbedtls_ecp_check_pub_priv(kp, kp) != 0) {
    return InvalidArgumentError("ECDSA P-256 key pair: the public key does not belong to the private key");
  }
  SecretBytes buf(1024);
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_pk_write_key_pem(pk.get(), buf.data(), buf.size()),
                                      "ECDSA P-256: mbedtls_pk_write_key_pem"));
  return std::string(reinterpret_cast<const char*>(buf.data()));
}

StatusOr<Bytes> EcdsaP256PublicKeyFromPem(std::string_view pem) {
  const SecretBytes input = NulTerminated(pem);
  Pk pk;
  const int ret = mbedtls_pk_parse_public_key(pk.get(), input.data(), input.size());
  if (ret == MBEDTLS_ERR_PK_ALLOC_FAILED) return MbedtlsStatus(ret, "mbedtls_pk_parse_public_key");
  if (ret != 0) {
    return InvalidArgumentError("ECDSA P-256: not a PEM public key (SubjectPublicKeyInfo): " +
                                internal::MbedtlsErrorText(ret));
  }
  TACET_ASSIGN_OR_RETURN(mbedtls_ecp_keypair * kp, RequireP256(*pk.get(), "PEM public key"));
  return WritePublicKey(*kp);
}

StatusOr<EcdsaP256KeyPair> EcdsaP256KeyPairFromPem(std::string_view pem) {
  const SecretBytes input = NulTerminated(pem);
  Pk pk;
  const int ret = mbedtls_pk_parse_key(pk.get(), input.data(), input.size(), nullptr, 0);
  if (ret == MBEDTLS_ERR_PK_ALLOC_FAILED) return MbedtlsStatus(ret, "mbedtls_pk_parse_key");
  if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
    return InvalidArgumentError("ECDSA P-256: the PEM private key is encrypted; an unencrypted key is expected");
  }
  if (ret != 0) {
    return InvalidArgumentError("ECDSA P-256: not a PEM private key (SEC 1 or PKCS #8): " +
                                internal::MbedtlsErrorText(ret));
  }
  TACET_ASSIGN_OR_RETURN(mbedtls_ecp_keypair * kp, RequireP256(*pk.get(), "PEM private key"));
  if (mbedtls_ecp_check_privkey(&kp->grp, &kp->d) != 0) {
    return InvalidArgumentError("PEM private key is not a scalar in [1, n-1] on P-256");
  }
  if (mbedtls_ecp_check_pubkey(&kp->grp, &kp->Q) != 0 || mbedtls_ecp_check_pub_priv(kp, kp) != 0) {
    return InvalidArgumentError("PEM private key: its public key does not belong to its private key");
  }
  EcdsaP256KeyPair out;
  TACET_ASSIGN_OR_RETURN(out.private_key, WritePrivateKey(*kp));
  TACET_ASSIGN_OR_RETURN(out.public_key, WritePublicKey(*kp));
  return out;
}

}  // namespace tacet::crypto
