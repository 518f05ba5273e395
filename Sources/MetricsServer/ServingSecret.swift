import Certificates
import Foundation
import KubeClient
import KubeModel

/// One serving certificate for every replica: the first replica to start generates a CA and a
/// certificate and stores them in a Secret; the others (and later restarts) read it. With a
/// certificate per replica, the APIServices could trust only one of them.
public enum ServingSecret {
    static let certificateKey = "tls.crt"
    static let keyKey = "tls.key"
    static let caKey = "ca.crt"

    /// The identity in Secret `namespace/name`, created with a certificate for `names` if absent.
    public static func loadOrCreate(client: KubeClient, namespace: String, name: String, names: [String]) async throws -> (identity: ServingIdentity, caPEM: String) {
        let secret: Secret
        do {
            secret = try await client.get(Secret.self, namespace: namespace, name: name)
        } catch KubeError.notFound {
            let authority = try CertificateAuthority(commonName: "hpa-operator metrics API CA")
            let serving = try authority.issueServer(dnsNames: names)
            let fresh = Secret(
                metadata: ObjectMeta(name: name, namespace: namespace, labels: ["app.kubernetes.io/managed-by": "hpa-operator"]),
                type: "kubernetes.io/tls",
                data: [certificateKey: base64(serving.certificatePEM), keyKey: base64(serving.keyPEM), caKey: base64(try authority.certificatePEM)])
            do {
                secret = try await client.create(fresh)
            } catch KubeError.alreadyExists {
                // Another replica won the race: use its certificate.
                secret = try await client.get(Secret.self, namespace: namespace, name: name)
            }
        }
        guard let certificate = text(secret, certificateKey), let key = text(secret, keyKey), let ca = text(secret, caKey) else {
            throw MetricsServerError("Secret \(namespace)/\(name) lacks \(certificateKey), \(keyKey) or \(caKey); delete it and a new one is generated")
        }
        return (try ServingIdentity(certificatePEM: certificate, keyPEM: key), ca)
    }

    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    private static func text(_ secret: Secret, _ key: String) -> String? {
        secret.data?[key].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}
