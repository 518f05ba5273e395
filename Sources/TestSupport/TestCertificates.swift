import Certificates

/// Tests issue their certificates with the same code the metrics API uses for its own.
public typealias TestCertificateAuthority = CertificateAuthority
