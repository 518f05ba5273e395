import Certificates
import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle
import Synchronization

/// The metrics API's generated serving certificate, kept valid for as long as the process runs:
/// a long-lived CA (ten years) signs a serving certificate (a year by default) that is renewed
/// once a third of its life is left. The CA is renewed the same way, once a third of its life is
/// left, with an overlap: the new CA joins the bundle clients trust (`caPEM`, what the
/// APIServices' and the webhook's caBundle hold) beside the old one, signs the next serving
/// certificate, and the old one leaves the bundle when it expires; so a caBundle taken at any
/// time verifies the certificate served for years. With a Secret (`--tls-secret`) every replica
/// serves the same certificate and picks up a renewal without a restart: the first replica creates
/// the Secret, whichever replica sees something due renews it (a conditional update: one wins),
/// and all read it back every minute. Without one, the process keeps its own for its life.
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

    /// A certificate, its key and the CAs to trust, as PEM.
    struct Material: Sendable, Equatable {
        var certificatePEM: String
        var keyPEM: String
        /// The bundle of CAs to trust: the current CA first, then older ones not yet expired.
        var caPEM: String
        /// The current CA's key. Absent in Secrets written before renewal existed: then a new CA
        /// is made.
        var caKeyPEM: String?
        var resourceVersion: String?

        var validity: (from: Date, to: Date)? {
            (try? X509Certificate(pem: certificatePEM)).map { ($0.notValidBefore, $0.notValidAfter) }
        }

        /// Due once less than a third of a certificate's life is left.
        static func isDue(_ certificate: X509Certificate, at now: Date, life: TimeInterval) -> Bool {
            certificate.notValidAfter.timeIntervalSince(now) < life / 3
        }

        /// What the material becomes at `now`, or nil when nothing is due. A CA that is due is
        /// replaced first, alone: the certificate it will sign is made at a later refresh, once
        /// the bundle with the new CA has had an interval to reach the caBundles. Pure but for
        /// the keys it generates.
        func renewed(at now: Date, _ configuration: Configuration) throws -> Material? {
            let bundle = (try? X509Certificate.all(pem: caPEM)) ?? []
            let authority = try bundle.first.flatMap { first in try caKeyPEM.map { try CertificateAuthority(certificatePEM: try first.pem, keyPEM: $0) } }
            let serving = try? X509Certificate(pem: certificatePEM)
            let trusted = bundle.filter { $0.notValidAfter > now }
            let chains = serving.map { certificate in (try? certificate.verify(roots: trusted, at: now)) != nil } ?? false
            let servingDue = !chains || serving.map { Self.isDue($0, at: now, life: configuration.validity) } ?? true
            var next = self
            if let authority, !Self.isDue(authority.certificate, at: now, life: configuration.caValidity) {
                guard servingDue || trusted.count < bundle.count else { return nil }
                next.caPEM = try trusted.map { try $0.pem }.joined()
                if servingDue {
                    let issued = try authority.issueServer(dnsNames: configuration.names, validity: configuration.validity, now: now)
                    (next.certificatePEM, next.keyPEM) = (issued.certificatePEM, issued.keyPEM)
                }
                return next
            }
            // A new CA. The certificate served now is kept while it still chains to a CA that
            // stays in the bundle and outlasts the next refresh; otherwise (a first start, an
            // expired CA) there is no one to break, and the new CA signs one at once.
            let fresh = try CertificateAuthority(commonName: "hpa-operator metrics API CA", validity: configuration.caValidity, now: now)
            next.caPEM = try ([fresh.certificate] + trusted).map { try $0.pem }.joined()
            next.caKeyPEM = try fresh.keyPEM
            let nextRefresh = now.addingTimeInterval(2 * Double(configuration.interval.components.seconds))
            if !chains || serving.map({ $0.notValidAfter <= nextRefresh }) ?? true {
                let issued = try fresh.issueServer(dnsNames: configuration.names, validity: configuration.validity, now: now)
                (next.certificatePEM, next.keyPEM) = (issued.certificatePEM, issued.keyPEM)
            }
            return next
        }

        /// A first CA and the certificate it signs.
        static func first(at now: Date, _ configuration: Configuration) throws -> Material {
            let authority = try CertificateAuthority(commonName: "hpa-operator metrics API CA", validity: configuration.caValidity, now: now)
            let serving = try authority.issueServer(dnsNames: configuration.names, validity: configuration.validity, now: now)
            return Material(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM, caPEM: try authority.certificatePEM, caKeyPEM: try authority.keyPEM)
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

    /// Reads the Secret (creating it when absent), or generates in memory; renews at once what is due.
    public static func start(_ keeping: Keeping, configuration: Configuration, logger: Logger, now: Date = Date()) async throws -> GeneratedServingCertificate {
        var material = try await load(keeping, configuration, now: now) ?? Material.first(at: now, configuration)
        if let renewed = try material.renewed(at: now, configuration) { material = try await store(renewed, keeping) }
        return GeneratedServingCertificate(
            material: material, identity: try ServingIdentity(certificatePEM: material.certificatePEM, keyPEM: material.keyPEM),
            keeping: keeping, configuration: configuration, logger: logger)
    }

    private init(material: Material, identity: ServingIdentity, keeping: Keeping, configuration: Configuration, logger: Logger) {
        current = Mutex(material)
        self.identity = identity
        self.keeping = keeping
        self.configuration = configuration
        self.logger = logger
    }

    /// The CAs the APIServices' caBundle must hold now (the current one first).
    public var caPEM: String { current.withLock { $0.caPEM } }

    /// When the certificate served now expires.
    public var expiry: Date? { current.withLock { $0.validity?.to } }

    /// The certificate served now, as PEM.
    public var certificatePEM: String { current.withLock { $0.certificatePEM } }

    /// Reads the kept certificate, renews what is due, and serves whatever is current.
    public func refresh(now: Date = Date()) async throws {
        var material = try await Self.load(keeping, configuration, now: now) ?? current.withLock { $0 }
        if let renewed = try material.renewed(at: now, configuration) {
            let newCA = renewed.caKeyPEM != material.caKeyPEM
            material = try await Self.store(renewed, keeping)
            logger.info(
                newCA ? "made a new CA for the metrics API (the old one stays trusted until it expires)" : "renewed the metrics API's serving certificate",
                metadata: ["expires": "\(material.validity.map { Timestamp.rfc3339($0.to) } ?? "?")"])
        }
        let changed = current.withLock { old in
            defer { old = material }
            return old.certificatePEM != material.certificatePEM
        }
        if changed { try identity.replace(certificatePEM: material.certificatePEM, keyPEM: material.keyPEM) }
    }

    public func run() async throws {
        await repeatedly(
            every: configuration.interval, startNow: false, logger: logger,
            failure: "cannot read or renew the metrics API's serving certificate; serving the current one",
            recovery: "the serving certificate's Secret is readable again"
        ) { try await self.refresh() }
    }

    // MARK: Keeping

    /// The Secret's material (created when absent); nil when kept in memory.
    private static func load(_ keeping: Keeping, _ configuration: Configuration, now: Date) async throws -> Material? {
        guard case .secret(let client, let namespace, let name) = keeping else { return nil }
        do {
            return try material(of: try await client.get(Secret.self, namespace: namespace, name: name), namespace: namespace, name: name)
        } catch KubeError.notFound {
            let fresh = try Material.first(at: now, configuration)
            do {
                let created = try await client.create(secret(fresh, namespace: namespace, name: name))
                return try material(of: created, namespace: namespace, name: name)
            } catch KubeError.alreadyExists {
                // Another replica won the race: use its certificate.
                return try material(of: try await client.get(Secret.self, namespace: namespace, name: name), namespace: namespace, name: name)
            }
        }
    }

    /// Stores renewed material where it is kept. Two replicas renewing at once: one update wins,
    /// the other reads it.
    private static func store(_ renewed: Material, _ keeping: Keeping) async throws -> Material {
        guard case .secret(let client, let namespace, let name) = keeping else { return renewed }
        var updated = secret(renewed, namespace: namespace, name: name)
        updated.metadata.resourceVersion = renewed.resourceVersion
        do {
            return try material(of: try await client.update(updated), namespace: namespace, name: name)
        } catch KubeError.conflict {
            return try material(of: try await client.get(Secret.self, namespace: namespace, name: name), namespace: namespace, name: name)
        }
    }

    private static func secret(_ material: Material, namespace: String, name: String) -> Secret {
        var data = [certificateKey: base64(material.certificatePEM), keyKey: base64(material.keyPEM), caKey: base64(material.caPEM)]
        data[caKeyKey] = material.caKeyPEM.map(base64)
        return Secret(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: ["app.kubernetes.io/managed-by": "hpa-operator"]),
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
