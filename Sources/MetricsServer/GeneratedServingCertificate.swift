import Certificates
import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle
import Synchronization

/// The metrics API's generated serving certificate, kept valid for as long as the process runs:
/// a long-lived CA (ten years) signs a serving certificate (a year by default) that is renewed
/// once a third of its life is left. With a Secret (`--tls-secret`) every replica serves the same
/// certificate and picks up a renewal without a restart: the first replica creates the Secret,
/// whichever replica sees the certificate due renews it (a conditional update: one wins), and all
/// read it back every minute. The CA stays, so the APIServices' caBundle stays valid.
public final class GeneratedServingCertificate: Service {
    public struct Configuration: Sendable {
        public var names: [String]
        public var validity: TimeInterval
        public var caValidity: TimeInterval
        /// How often the Secret is read and the certificate checked.
        public var interval: Duration

        public init(names: [String], validity: TimeInterval = 86_400 * 365, caValidity: TimeInterval = 86_400 * 3650, interval: Duration = .seconds(60)) {
            self.names = names
            self.validity = validity
            self.caValidity = caValidity
            self.interval = interval
        }
    }

    /// Where the certificate and its CA live: a Secret, or this process alone.
    public enum Keeping: Sendable {
        case secret(KubeClient, namespace: String, name: String)
        case memory
    }

    /// A certificate, its key and the CA that signed it, as PEM.
    struct Material: Sendable, Equatable {
        var certificatePEM: String
        var keyPEM: String
        var caPEM: String
        /// Absent in Secrets written before renewal existed: the next renewal makes a new CA.
        var caKeyPEM: String?
        var resourceVersion: String?

        var validity: (from: Date, to: Date)? {
            (try? X509Certificate(pem: certificatePEM)).map { ($0.notValidBefore, $0.notValidAfter) }
        }

        /// Due once less than a third of a certificate's life is left.
        func isDue(at now: Date, life: TimeInterval) -> Bool {
            guard let (_, to) = validity else { return true }
            return to.timeIntervalSince(now) < life / 3
        }
    }

    public let identity: ServingIdentity
    let configuration: Configuration
    let keeping: Keeping
    let logger: Logger
    private let current: Mutex<Material>

    static let certificateKey = "tls.crt"
    static let keyKey = "tls.key"
    static let caKey = "ca.crt"
    static let caKeyKey = "ca.key"

    /// Reads the Secret (creating it when absent), or generates in memory; renews at once if due.
    public static func start(_ keeping: Keeping, configuration: Configuration, logger: Logger) async throws -> GeneratedServingCertificate {
        var material = try await load(keeping, configuration)
        if material.isDue(at: Date(), life: configuration.validity) { material = try await renew(material, keeping, configuration) }
        return GeneratedServingCertificate(material: material, identity: try ServingIdentity(certificatePEM: material.certificatePEM, keyPEM: material.keyPEM),
                                           keeping: keeping, configuration: configuration, logger: logger)
    }

    private init(material: Material, identity: ServingIdentity, keeping: Keeping, configuration: Configuration, logger: Logger) {
        current = Mutex(material)
        self.identity = identity
        self.keeping = keeping
        self.configuration = configuration
        self.logger = logger
    }

    /// The CA the APIServices' caBundle must hold now.
    public var caPEM: String { current.withLock { $0.caPEM } }

    /// When the certificate served now expires.
    public var expiry: Date? { current.withLock { $0.validity?.to } }

    /// Reads the kept certificate, renews it when due, and serves whatever is current.
    public func refresh(now: Date = Date()) async throws {
        var material = try await Self.load(keeping, configuration)
        if material.isDue(at: now, life: configuration.validity) {
            material = try await Self.renew(material, keeping, configuration)
            logger.info("renewed the metrics API's serving certificate", metadata: ["expires": "\(material.validity.map { Timestamp.rfc3339($0.to) } ?? "?")"])
        }
        let changed = current.withLock { old in
            defer { old = material }
            return old.certificatePEM != material.certificatePEM
        }
        if changed { try identity.replace(certificatePEM: material.certificatePEM, keyPEM: material.keyPEM) }
    }

    public func run() async throws {
        await repeatedly(every: configuration.interval, startNow: false, logger: logger,
                         failure: "cannot read or renew the metrics API's serving certificate; serving the current one",
                         recovery: "the serving certificate's Secret is readable again") { try await self.refresh() }
    }

    // MARK: Keeping

    private static func load(_ keeping: Keeping, _ configuration: Configuration) async throws -> Material {
        guard case .secret(let client, let namespace, let name) = keeping else { return try issue(configuration, with: nil) }
        do {
            return try material(of: try await client.get(Secret.self, namespace: namespace, name: name), namespace: namespace, name: name)
        } catch KubeError.notFound {
            let fresh = try issue(configuration, with: nil)
            do {
                let created = try await client.create(secret(fresh, namespace: namespace, name: name))
                return try material(of: created, namespace: namespace, name: name)
            } catch KubeError.alreadyExists {
                // Another replica won the race: use its certificate.
                return try material(of: try await client.get(Secret.self, namespace: namespace, name: name), namespace: namespace, name: name)
            }
        }
    }

    /// A new serving certificate from the kept CA (a new CA when its key was not kept), stored
    /// where it is kept. Two replicas renewing at once: one update wins, the other reads it.
    private static func renew(_ old: Material, _ keeping: Keeping, _ configuration: Configuration) async throws -> Material {
        let authority = try old.caKeyPEM.map { try CertificateAuthority(certificatePEM: old.caPEM, keyPEM: $0) }
        var fresh = try issue(configuration, with: authority)
        guard case .secret(let client, let namespace, let name) = keeping else { return fresh }
        fresh.resourceVersion = old.resourceVersion
        var updated = secret(fresh, namespace: namespace, name: name)
        updated.metadata.resourceVersion = old.resourceVersion
        do {
            return try material(of: try await client.update(updated), namespace: namespace, name: name)
        } catch KubeError.conflict {
            return try material(of: try await client.get(Secret.self, namespace: namespace, name: name), namespace: namespace, name: name)
        }
    }

    private static func issue(_ configuration: Configuration, with authority: CertificateAuthority?) throws -> Material {
        let authority = try authority ?? CertificateAuthority(commonName: "hpa-operator metrics API CA", validity: configuration.caValidity)
        let serving = try authority.issueServer(dnsNames: configuration.names, validity: configuration.validity)
        return Material(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM, caPEM: try authority.certificatePEM, caKeyPEM: try authority.keyPEM)
    }

    private static func secret(_ material: Material, namespace: String, name: String) -> Secret {
        var data = [certificateKey: base64(material.certificatePEM), keyKey: base64(material.keyPEM), caKey: base64(material.caPEM)]
        data[caKeyKey] = material.caKeyPEM.map(base64)
        return Secret(metadata: ObjectMeta(name: name, namespace: namespace, labels: ["app.kubernetes.io/managed-by": "hpa-operator"]),
                      type: "kubernetes.io/tls", data: data)
    }

    private static func material(of secret: Secret, namespace: String, name: String) throws -> Material {
        func text(_ key: String) -> String? { secret.data?[key].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } }
        guard let certificate = text(certificateKey), let key = text(keyKey), let ca = text(caKey) else {
            throw MetricsServerError("Secret \(namespace)/\(name) lacks \(certificateKey), \(keyKey) or \(caKey); delete it and a new one is generated")
        }
        return Material(certificatePEM: certificate, keyPEM: key, caPEM: ca, caKeyPEM: text(caKeyKey), resourceVersion: secret.metadata.resourceVersion)
    }

    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}
