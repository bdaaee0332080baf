/** The webview's handle on VS Code: acquired once per page, as the API allows only one call. */
export const vscode = acquireVsCodeApi();
