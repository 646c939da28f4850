#!/usr/bin/env node
// azd preprovision hook: the provider that requests get by default (VIDEO_PROVIDER) must have
// what it needs, or the app starts without it ("DEFAULT_PROVIDER names fal, which is not
// configured") only after a full provision and deploy. azd passes the environment's values as
// environment variables; a value set with `azd env set-secret` arrives as its akvs:// reference,
// which counts as set. Values are only tested for presence, never printed.
//
//   node infra/hooks/check-provider.mjs
// Replicate's webhook signing secret, given up front: without it the app would fetch it from
// Replicate when a webhook arrives, with our token, and anyone can POST a webhook.
const replicateSecretHint =
  'azd env set REPLICATE_WEBHOOK_SECRET <whsec_… from GET https://api.replicate.com/v1/webhooks/default/secret>';
const providers = {
  fal: { needs: [['FAL_KEY']], hint: 'azd env set FAL_KEY <your fal key>' },
  replicate: {
    needs: [['REPLICATE_API_TOKEN', 'REPLICATE_WEBHOOK_SECRET']],
    hint: `azd env set REPLICATE_API_TOKEN <your Replicate token> and ${replicateSecretHint}`,
  },
  openai: {
    needs: [['OPENAI_API_KEY']],
    hint: 'azd env set OPENAI_API_KEY <key of the /v1/videos endpoint>',
  },
  'azure-openai': {
    // an existing account, or a new one with a named model (keyless either way)
    needs: [
      ['EXISTING_OPENAI_ENDPOINT', 'EXISTING_OPENAI_RESOURCE_ID'],
      ['AZURE_OPENAI_MODEL', 'AZURE_OPENAI_MODEL_VERSION'],
    ],
    hint: 'azd env set EXISTING_OPENAI_ENDPOINT https://<name>.openai.azure.com/ and azd env set EXISTING_OPENAI_RESOURCE_ID <resource id>, or azd env set AZURE_OPENAI_MODEL <model> and azd env set AZURE_OPENAI_MODEL_VERSION <version>',
  },
};

const isSet = (name) => (process.env[name] ?? '').trim() !== '';
const configured = (name) => providers[name].needs.some((all) => all.every(isSet));
const chosen = (process.env.VIDEO_PROVIDER ?? '').trim();

// Replicate is configured whenever its token is given (default provider or not).
if (isSet('REPLICATE_API_TOKEN') && !isSet('REPLICATE_WEBHOOK_SECRET')) {
  console.error(
    `check-provider: REPLICATE_API_TOKEN is set, so Replicate's webhook signing secret is required. Run: ${replicateSecretHint}`,
  );
  process.exit(1);
}

if (chosen === '') {
  // azd asks for videoProvider during provisioning; at least one provider must be usable.
  const usable = Object.keys(providers).filter(configured);
  if (usable.length === 0) {
    console.error(
      'check-provider: no video provider is set up. Pick one and give what it needs, for example:',
    );
    console.error('  azd env set VIDEO_PROVIDER fal');
    for (const [name, { hint }] of Object.entries(providers)) console.error(`  ${name}: ${hint}`);
    process.exit(1);
  }
  console.log(
    `check-provider: VIDEO_PROVIDER is not set; azd will ask. Set up: ${usable.join(', ')} (choose one of these).`,
  );
  process.exit(0);
}
if (!(chosen in providers)) {
  console.error(
    `check-provider: VIDEO_PROVIDER=${chosen} is not one of ${Object.keys(providers).join(', ')}.`,
  );
  process.exit(1);
}
if (!configured(chosen)) {
  console.error(
    `check-provider: VIDEO_PROVIDER is ${chosen}, but it is not set up. Run: ${providers[chosen].hint}`,
  );
  process.exit(1);
}
console.log(`check-provider: ${chosen} is set up.`);
