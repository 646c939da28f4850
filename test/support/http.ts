// One HTTP call as the suites see it: status, headers, the raw text and its JSON if any.
export interface Answer {
  status: number;
  headers: Headers;
  body: any; // JSON of any shape, checked by each test
  text: string;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}
