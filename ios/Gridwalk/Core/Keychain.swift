import Foundation
import GridwalkKit
import Security

/// The device key: an EC P-256 key in the Secure Enclave (it never leaves it), used with
/// `.ecdsaSignatureMessageX962SHA256` (DER signatures of SHA-256, what the core expects).
/// The Simulator has no Secure Enclave, so there the key is an ordinary Keychain key.
/// Failures name the Security call and its status (the detail under the launch screen's
/// advice). Both are `ThisDeviceOnly`: a backup restored on a new phone has no key, so the app
/// makes a new one and enrols afresh.
final class KeychainSigner: DeviceSigner, @unchecked Sendable {
    private static let tag = Data("org.gridwalk.device-key".utf8)
    private let key: SecKey

    init() throws {
        key = try Self.existing() ?? Self.create()
    }

    private static func existing() throws -> SecKey? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: tag,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecReturnRef as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let item else { throw SignerError.Unavailable(reason: "SecItemCopyMatching=\(status)") }
        return (item as! SecKey)  // The query asked for a key reference; the Keychain returns one.
    }

    private static func create() throws -> SecKey {
        var attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
        ]
        var access: [String: Any] = [
            kSecAttrIsPermanent as String: true,
            kSecAttrApplicationTag as String: tag,
        ]
        #if targetEnvironment(simulator)
        access[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        #else
        attributes[kSecAttrTokenID as String] = kSecAttrTokenIDSecureEnclave
        var error: Unmanaged<CFError>?
        guard let control = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly, .privateKeyUsage, &error)
        else { throw SignerError.Unavailable(reason: "SecAccessControlCreateWithFlags=\(String(describing: error?.takeRetainedValue()))") }
        access[kSecAttrAccessControl as String] = control
        #endif
        attributes[kSecPrivateKeyAttrs as String] = access
        var error: Unmanaged<CFError>?
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw SignerError.Unavailable(reason: "SecKeyCreateRandomKey=\(String(describing: error?.takeRetainedValue()))")
        }
        return key
    }

    func sign(message: Data) throws -> Data {
        var error: Unmanaged<CFError>?
        guard let signature = SecKeyCreateSignature(key, .ecdsaSignatureMessageX962SHA256, message as CFData, &error) else {
            throw SignerError.Unavailable(reason: "SecKeyCreateSignature=\(String(describing: error?.takeRetainedValue()))")
        }
        return signature as Data
    }

    /// The X9.63 external representation of a P-256 public key is the SEC1 uncompressed
    /// point, 65 bytes, which is what the core registers.
    func publicKey() throws -> Data {
        var error: Unmanaged<CFError>?
        guard let publicKey = SecKeyCopyPublicKey(key),
              let point = SecKeyCopyExternalRepresentation(publicKey, &error) as Data?,
              point.count == 65, point.first == 0x04
        else { throw SignerError.Unavailable(reason: "SecKeyCopyExternalRepresentation") }
        return point
    }
}

/// The store's encryption key: 32 random bytes made once and kept in the Keychain as a
/// generic password, `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` (readable by
/// background sync after the first unlock; never in a backup or on another phone).
enum StoreKeychain {
    private static let service = "org.gridwalk.store-key"

    static func storeKey() throws -> Data {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecReturnData as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data, data.count == storeKeyBytes { return data }
        // Present but unreadable (locked before first unlock): an error, never a new key,
        // which would lock the store's data away for good.
        guard status == errSecItemNotFound else { throw SignerError.Unavailable(reason: "SecItemCopyMatching=\(status)") }
        var key = Data(count: storeKeyBytes)
        let made = key.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, storeKeyBytes, $0.baseAddress!) }
        guard made == errSecSuccess else { throw SignerError.Unavailable(reason: "SecRandomCopyBytes=\(made)") }
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: key,
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else { throw SignerError.Unavailable(reason: "SecItemAdd=\(added)") }
        return key
    }
}
