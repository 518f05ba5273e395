/// A `HOST:PORT` or `:PORT` to listen on (`:8080`, `0.0.0.0:8080`, `127.0.0.1:0`), as the
/// `--*-bind-address` flags take it; an empty host is every interface.
public enum ListenAddress {
    public static func parse(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(address[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
