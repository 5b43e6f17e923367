import GridwalkKit
import SwiftUI
import UIKit

/// A row of evidence photos an answer or a case names, by their thumbnails, from the
/// core's bytes (sealed key-groups photos show too). A photo whose full file has not
/// reached this phone carries the "full photo pending" badge; `photoTile` (GridwalkKit,
/// tested with the package) decides which size to load and when to badge.
struct EvidenceStrip: View {
    let photos: [PhotoView]

    var body: some View {
        if !photos.isEmpty {
            ScrollView(.horizontal, showsIndicators: false) {
                HStack(spacing: 4) {
                    ForEach(photos, id: \.sha256) { photo in
                        EvidenceTile(tile: photoTile(photo, size: .thumbnail))
                    }
                }
            }
        }
    }
}

private struct EvidenceTile: View {
    let tile: PhotoTile
    @Environment(SyncCoordinator.self) private var app
    @State private var image: UIImage?

    var body: some View {
        ZStack(alignment: .bottom) {
            Rectangle().fill(Color.secondary.opacity(0.2))
            if let image {
                Image(uiImage: image).resizable().scaledToFill()
            }
            if tile.pending {
                Text(localized("photo_full_pending"))
                    .font(.caption2)
                    .padding(.horizontal, 2)
                    .background(Color.orange)
                    .foregroundStyle(.white)
            }
        }
        .frame(width: 64, height: 64)
        .clipped()
        // Off the main thread: the core call runs on its actor, decoding in the task.
        .task(id: tile) {
            guard let bytes = try? await app.core.photoBytes(tile) else { return }
            image = UIImage(data: bytes)
        }
    }
}
