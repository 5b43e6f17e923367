import Foundation

// ======================================================================================
// MERGE ADAPTER (issue 12 item 7). The bindings in this branch still have
// `GridwalkStore(path:)`; the FFI is changing to `GridwalkStore.open(path:key:signer:)`
// with `DeviceSigner` a foreign protocol and `SignerError.Unavailable(reason:)` its error.
// `DeviceSigner` below stands in for the generated protocol, with the same shape. To switch:
//   1. delete `DeviceSigner` and `SignerUnavailable` from this file (the generated ones
//      take their place in this same module);
//   2. in `openStore`, call `GridwalkStore.open(path: path, key: key, signer: signer)`.
// `openStore` is the only place in the shell that opens the store.
// ======================================================================================

/// Signs this device's records with a key the platform holds (Secure Enclave or
/// Keychain); the private key never crosses the FFI. Stand-in for the generated protocol.
public protocol DeviceSigner: AnyObject, Sendable {
    /// A DER-encoded ECDSA P-256 / SHA-256 signature of `message`.
    func sign(message: Data) throws -> Data
    /// The public key as a SEC1 uncompressed point (65 bytes).
    func publicKey() throws -> Data
}

/// The signer or the store key could not be had from the platform. Stand-in for the
/// generated `SignerError.Unavailable`.
public struct SignerUnavailable: Error {
    public let reason: String
    public init(reason: String) { self.reason = reason }
}

/// The store key's length: 32 random bytes.
public let storeKeyBytes = 32

/// Opens the device's store: the single call that opens it (see the MERGE ADAPTER note).
public func openStore(path: String, key: Data, signer: DeviceSigner) throws -> GridwalkStore {
    guard key.count == storeKeyBytes else { throw SignerUnavailable(reason: "store key has \(key.count) bytes") }
    // MERGE: try GridwalkStore.open(path: path, key: key, signer: signer)
    return try GridwalkStore.open(path: path)
}

/// Why the store did not open, as what the user can do about it.
public enum OpenProblem: Sendable {
    /// The disk is full or unwritable: free space, then reopen.
    case freeSpace
    /// The store was written by a newer app version: update the app.
    case updateApp
    /// The store is damaged: contact the office; the file is kept for recovery.
    case damaged
    /// The keychain could not give the keys (the phone is locked after a restart).
    case keychain
    /// Anything else: report it.
    case other
}

/// What a failed open means for the user.
public func openProblem(_ error: Error) -> OpenProblem {
    switch error {
    case let GridwalkError.Storage(reason): reason.contains("newer") ? .updateApp : .freeSpace
    case GridwalkError.Corrupt: .damaged
    case is SignerUnavailable: .keychain
    default: .other
    }
}
