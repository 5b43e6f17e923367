import Foundation

/// How a screen shows one photo an answer or a case names; the same decisions as the
/// Android shell's `PhotoTiles.kt` (android/core-logic, tested on the JVM). Photos are
/// shown from the core's bytes (`GridwalkStore.photoBytes`), never from a file path: a
/// key-groups photo is sealed on disk and only the core opens it.
public struct PhotoTile: Equatable {
    /// The photo's SHA-256.
    public let sha256: String
    /// The size to ask the core for; `nil` when nothing of the photo is on the phone yet.
    public let load: PhotoSize?
    /// Whether to badge it "full photo pending" (原图上传中): its author's phone sends
    /// records and thumbnails first, so this phone may hold only the thumbnail.
    public let pending: Bool

    public init(sha256: String, load: PhotoSize?, pending: Bool) {
        self.sha256 = sha256
        self.load = load
        self.pending = pending
    }
}

/// The tile for `photo` on a screen that wants `size` (a list `.thumbnail`, an opened photo
/// `.full`): a held photo at that size; a thumbnail-only one by its thumbnail, badged; one
/// not here at all as a badged placeholder.
public func photoTile(_ photo: PhotoView, size: PhotoSize) -> PhotoTile {
    switch photo.state {
    case .held: PhotoTile(sha256: photo.sha256, load: size, pending: false)
    case .thumbnailOnly: PhotoTile(sha256: photo.sha256, load: .thumbnail, pending: true)
    case .notHeld: PhotoTile(sha256: photo.sha256, load: nil, pending: true)
    }
}
