// Entry point of the Functions app (package.json "main"): one place that loads every registration.
import { app } from '@azure/functions';

app.setup({ enableHttpStream: false });
