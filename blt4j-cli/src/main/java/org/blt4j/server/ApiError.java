package org.blt4j.server;

/**
 * A request the server refuses, with the HTTP status and the JSON error body it gets:
 * {@code {"error": {"message", "type", "param", "code"}}} (OpenAI's shape).
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    /** seconds for a Retry-After header, or 0 for none */
    final int retryAfter;
    /** the methods a 405 names in its Allow header, else null */
    final String allow;

    ApiError(int status, String type, String message, String param, int retryAfter) {
        this(status, type, message, param, retryAfter, null);
    }

    private ApiError(int status, String type, String message, String param, int retryAfter, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.retryAfter = retryAfter;
        this.allow = allow;
    }

    /** 400: the body is not what any request could be (not JSON, not an object). */
    static ApiError badRequest(String message) {
        return new ApiError(400, "invalid_request_error", message, null, 0);
    }

    /** 422: a field has the wrong type or an out-of-range value; names the field. */
    static ApiError invalidField(String field, String message) {
        return new ApiError(422, "invalid_request_error", field + ": " + message, field, 0);
    }

    static ApiError notFound(String path) {
        return new ApiError(404, "not_found", "no such path: " + path, null, 0);
    }

    static ApiError methodNotAllowed(String method, String path, String allowed) {
        String all = allowed.equals("GET") ? "GET, HEAD" : allowed;   // HEAD works wherever GET does
        return new ApiError(405, "method_not_allowed", method + " is not allowed on " + path + " (allowed: " + all + ")",
                null, 0, all);
    }

    static ApiError tooLarge(String message) {
        return new ApiError(413, "request_too_large", message, null, 0);
    }

    static ApiError busy(String message, int retryAfter) {
        return new ApiError(429, "rate_limit_exceeded", message, null, retryAfter);
    }

    static ApiError overloaded(String message, int retryAfter) {
        return new ApiError(503, "overloaded", message, null, retryAfter);
    }
}
