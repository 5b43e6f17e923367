import SwiftUI
import UIKit

/// The system camera (UIImagePickerController). Each shot is written as a JPEG file into
/// the app's pending captures (persistent, not backed up) and handed back as a path:
/// photos cross into the core as files. Where there is no camera (the Simulator, whose
/// picker crashes when asked for one) it offers the photo library instead.
struct CameraPicker: UIViewControllerRepresentable {
    let destination: () throws -> URL
    let onPhoto: (Result<String, Error>) -> Void
    @Environment(\.dismiss) private var dismiss

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        if UIImagePickerController.isSourceTypeAvailable(.camera) {
            picker.sourceType = .camera
            picker.cameraCaptureMode = .photo
        } else {
            picker.sourceType = .photoLibrary
        }
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        private let parent: CameraPicker
        init(_ parent: CameraPicker) { self.parent = parent }

        func imagePickerController(
            _ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]
        ) {
            parent.onPhoto(Result {
                guard let image = info[.originalImage] as? UIImage, let cgImage = image.cgImage
                else { throw JPEGFile.Failure.unreadable }
                // The sensor's pixels plus the camera's metadata, orientation included:
                // the core rotates, shrinks and strips, so nothing is baked in here.
                var properties = info[.mediaMetadata] as? [CFString: Any] ?? [:]
                properties[kCGImagePropertyOrientation] = CGImagePropertyOrientation(image.imageOrientation).rawValue
                return try JPEGFile.write(cgImage, properties: properties, to: try parent.destination()).path
            })
            parent.dismiss()
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.dismiss() }
    }
}

private extension CGImagePropertyOrientation {
    init(_ orientation: UIImage.Orientation) {
        switch orientation {
        case .up: self = .up
        case .down: self = .down
        case .left: self = .left
        case .right: self = .right
        case .upMirrored: self = .upMirrored
        case .downMirrored: self = .downMirrored
        case .leftMirrored: self = .leftMirrored
        case .rightMirrored: self = .rightMirrored
        @unknown default: self = .up
        }
    }
}

/// A "take photos" button that collects JPEG paths, used wherever evidence is attached.
/// `title` is the caller's words, which count `paths` in the app's language; each shot is
/// written where `destination` says (a reserved pending capture of the caller's owner).
struct PhotoCaptureButton: View {
    let title: String
    let destination: () throws -> URL
    @Binding var paths: [String]
    @Binding var error: String?
    @State private var capturing = false

    var body: some View {
        Button(title) { capturing = true }
            .fullScreenCover(isPresented: $capturing) {
                CameraPicker(destination: destination) { result in
                    switch result {
                    case let .success(path): paths.append(path)
                    case let .failure(failure): error = userMessage(failure)
                    }
                }
                .ignoresSafeArea()
            }
    }
}
