import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A response's status and headers (header names case-insensitive).
struct HTTPResponse: Sendable {
    let url: URL
    let status: Int
    let headers: [String: String]

    init(url: URL, status: Int, headers: [String: String]) {
        self.url = url
        self.status = status
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        self.headers = lowered
    }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    var isRedirect: Bool { [301, 302, 303, 307, 308].contains(status) && header("Location") != nil }
}

/// A failed exchange: no response at all (connection refused, reset, timed out, cut mid-body).
struct TransportError: Error {
    let url: URL
    let reason: String
}

/// Blocking HTTP over URLSession, one request at a time, redirects never followed (the caller decides
/// where the Authorization header may go), `Accept-Encoding: identity` so sizes and hashes are of the
/// file itself.
final class HTTPTransport: @unchecked Sendable {
    /// Seconds without any byte before a request fails.
    let timeout: TimeInterval
    let userAgent: String

    init(timeout: TimeInterval, userAgent: String) {
        self.timeout = timeout
        self.userAgent = userAgent
    }

    /// Sends one request and blocks until it completes.
    ///
    /// `onResponse` sees the status and headers before any body byte; `onData` receives the body in
    /// order. An error either throws ends the transfer and is rethrown as is.
    @discardableResult
    func send(_ method: String, _ url: URL, headers: [String: String],
              onResponse: (HTTPResponse) throws -> Void = { _ in },
              onData: (UnsafeRawBufferPointer) throws -> Void = { _ in }) throws -> HTTPResponse {
        // The delegate stores the closures, but only until this call returns.
        try withoutActuallyEscaping(onResponse) { onResponse in
            try withoutActuallyEscaping(onData) { onData in
                try perform(method, url, headers: headers, onResponse: onResponse, onData: onData)
            }
        }
    }

    private func perform(_ method: String, _ url: URL, headers: [String: String],
                         onResponse: @escaping (HTTPResponse) throws -> Void,
                         onData: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        let delegate = TaskDelegate(onResponse: onResponse, onData: onData)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        delegate.done.wait()
        delegate.releaseHandlers()  // the session may keep the delegate a while longer, not the closures

        if let failure = delegate.failure { throw failure }
        if let error = delegate.completionError {
            let code = (error as NSError).code
            let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
            let reason = [underlying, (error as NSError).localizedDescription].compactMap { $0 }
                .first { !$0.isEmpty && $0 != "(null)" } ?? "URL error \(code)"
            throw TransportError(url: url, reason: code == NSURLErrorTimedOut ? "no data for \(timeout) s (timed out)" : reason)
        }
        guard let response = delegate.response else {
            throw TransportError(url: url, reason: "no response")
        }
        return response
    }
}

/// Receives one task's events; the caller waits on `done`. Callbacks arrive on the session's serial
/// delegate queue while the caller is blocked, so the mutable state is never touched concurrently.
private final class TaskDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private(set) var onResponse: (HTTPResponse) throws -> Void
    private(set) var onData: (UnsafeRawBufferPointer) throws -> Void
    let done = DispatchSemaphore(value: 0)
    var response: HTTPResponse?
    var failure: Error?
    var completionError: Error?

    init(onResponse: @escaping (HTTPResponse) throws -> Void, onData: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.onResponse = onResponse
        self.onData = onData
    }

    /// Drops the handlers once the task completed (they must not outlive `HTTPTransport.send`).
    func releaseHandlers() {
        onResponse = { _ in }
        onData = { _ in }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)  // the redirect response itself is the answer
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = Self.convert(response)
        self.response = http
        do {
            if let http { try onResponse(http) }
            completionHandler(.allow)
        } catch {
            failure = error
            completionHandler(.cancel)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try data.withUnsafeBytes { try onData($0) }
        } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if response == nil, let taskResponse = task.response {
            // A redirect that was not followed completes without didReceive(response:).
            response = Self.convert(taskResponse)
            if let response, failure == nil, error == nil {
                do { try onResponse(response) } catch { failure = error }
            }
        }
        completionError = error
        done.signal()
    }

    private static func convert(_ response: URLResponse) -> HTTPResponse? {
        guard let http = response as? HTTPURLResponse, let url = http.url else { return nil }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return HTTPResponse(url: url, status: http.statusCode, headers: headers)
    }
}
