# ---------------------------------------------------------------------------------------------
# Where the infrastructure's state is
# ---------------------------------------------------------------------------------------------

variable "state_bucket" {
  description = "Spaces bucket that holds the Terraform states (the one in backend.hcl)."
  type        = string
}

variable "state_endpoint" {
  description = "S3 endpoint of that bucket's region, e.g. https://fra1.digitaloceanspaces.com."
  type        = string

  validation {
    condition     = startswith(var.state_endpoint, "https://")
    error_message = "state_endpoint must be an https:// URL."
  }
}

variable "infrastructure_state_key" {
  description = "Key of the infrastructure configuration's state in that bucket."
  type        = string
  default     = "patron/infrastructure.tfstate"
}

# ---------------------------------------------------------------------------------------------
# Releases
# ---------------------------------------------------------------------------------------------

variable "namespace" {
  description = "Namespace of both releases (created when missing)."
  type        = string
  default     = "patron"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a Kubernetes namespace name."
  }
}

variable "helm_timeout_seconds" {
  description = "How long one release may take to become ready before it is rolled back."
  type        = number
  default     = 600

  validation {
    condition     = var.helm_timeout_seconds >= 60
    error_message = "helm_timeout_seconds must be at least 60."
  }
}

# ---------------------------------------------------------------------------------------------
# Image: deploy by digest
# ---------------------------------------------------------------------------------------------

variable "image_registry" {
  description = "Registry of patron's image, e.g. ghcr.io or registry.gitlab.com."
  type        = string
  default     = "ghcr.io"
}

variable "image_repository" {
  description = "Repository of patron's image in that registry, e.g. you/patron."
  type        = string
}

variable "image_tag" {
  description = "Tag the image was pushed with (a version or a commit SHA; never latest)."
  type        = string

  validation {
    condition     = var.image_tag != "" && var.image_tag != "latest"
    error_message = "image_tag must be an exact tag, not empty and not latest."
  }
}

variable "image_digest" {
  description = "Digest the pipeline's push reported (sha256:...); the pods then run exactly that image whatever happens to the tag."
  type        = string

  validation {
    condition     = can(regex("^sha256:[0-9a-f]{64}$", var.image_digest))
    error_message = "image_digest must be sha256: followed by 64 hexadecimal characters."
  }
}

# ---------------------------------------------------------------------------------------------
# Ingress
# ---------------------------------------------------------------------------------------------

variable "ingress_class_name" {
  description = "Ingress class of the cluster's ingress controller."
  type        = string
  default     = "nginx"
}

variable "ingress_annotations" {
  description = "Annotations of patron's Ingress (e.g. cert-manager's issuer, upload body size, live-event timeouts for your controller)."
  type        = map(string)
  default     = {}
}

variable "ingress_namespace_labels" {
  description = "Labels of the ingress controller's namespace; patron's NetworkPolicy takes web traffic from there only."
  type        = map(string)
  default = {
    "kubernetes.io/metadata.name" = "ingress-nginx"
  }
}

variable "tls_secret_name" {
  description = "Secret with the site's TLS certificate (made by cert-manager, or a Cloudflare origin certificate you stored)."
  type        = string
  default     = "patron-tls"
}

variable "trusted_proxies" {
  description = "PATRON_TRUSTED_PROXIES: the ingress controller pods' addresses (the cluster's pod CIDR), comma-separated; empty trusts no X-Forwarded-For."
  type        = string
  default     = ""
}

# ---------------------------------------------------------------------------------------------
# patron's settings
# ---------------------------------------------------------------------------------------------

variable "web_replicas" {
  description = "Web pods (at least 2 so that a rolling update or node drain keeps one serving)."
  type        = number
  default     = 2

  validation {
    condition     = var.web_replicas >= 2
    error_message = "web_replicas must be at least 2."
  }
}

variable "worker_replicas" {
  description = "Worker pods."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_replicas >= 1
    error_message = "worker_replicas must be at least 1."
  }
}

variable "database_max_connections" {
  description = "PATRON_DATABASE_MAX_CONNECTIONS per pod; (web + worker pods + running jobs) x this must stay under the database's connection limit."
  type        = number
  default     = 8

  validation {
    condition     = var.database_max_connections >= 2 && var.database_max_connections <= 100
    error_message = "database_max_connections must be between 2 and 100."
  }
}

variable "mail_from" {
  description = "PATRON_MAIL_FROM, e.g. \"Patron <noreply@example.com>\"; empty uses patron's default."
  type        = string
  default     = ""
}

variable "smtp_url" {
  description = "PATRON_SMTP_URL: an smtp:// (STARTTLS, port 587) or smtps:// (port 465) URL with the account in it; empty keeps mails in the log and the outbox table. Give it as TF_VAR_smtp_url, never in a file."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.smtp_url == "" || can(regex("^smtps?://", var.smtp_url))
    error_message = "smtp_url must start with smtp:// or smtps://."
  }
}

variable "payment_sandbox" {
  description = "Offer the built-in sandbox payment gateway (for a staging site only)."
  type        = bool
  default     = false
}

variable "gpwebpay_merchant_number" {
  description = "GP webpay merchant number. Digits as text: always quote it in tfvars; it reaches the chart as a string, never as a number."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[0-9]*$", var.gpwebpay_merchant_number))
    error_message = "gpwebpay_merchant_number must consist of digits only (quoted, e.g. \"1234567890\")."
  }
}

variable "gpwebpay_url" {
  description = "PATRON_GPWEBPAY_URL: the gateway's payment address (the test gateway's for trials)."
  type        = string
  default     = ""
}

variable "gpwebpay_ws_url" {
  description = "PATRON_GPWEBPAY_WS_URL: the gateway's web service, for renewals by repeat charges and refunds."
  type        = string
  default     = ""
}

variable "gpwebpay_provider" {
  description = "PATRON_GPWEBPAY_PROVIDER: the acquirer's four-digit code from the contract, quoted (e.g. \"0880\")."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([0-9]{4})?$", var.gpwebpay_provider))
    error_message = "gpwebpay_provider must be four digits, quoted (e.g. \"0880\")."
  }
}

variable "gpwebpay_public_key" {
  description = "PATRON_GPWEBPAY_PUBLIC_KEY: the gateway's public key (PEM)."
  type        = string
  default     = ""
}

variable "gpwebpay_private_key" {
  description = "PATRON_GPWEBPAY_PRIVATE_KEY: the merchant's encrypted PKCS #8 key (PEM). Give it as TF_VAR_gpwebpay_private_key."
  type        = string
  default     = ""
  sensitive   = true
}

variable "gpwebpay_private_key_password" {
  description = "PATRON_GPWEBPAY_PRIVATE_KEY_PASSWORD. Give it as TF_VAR_gpwebpay_private_key_password."
  type        = string
  default     = ""
  sensitive   = true
}

variable "platform_fee" {
  description = "PATRON_PLATFORM_FEE: the platform's share of each payment in percent, quoted (\"10\", \"12.5\"); empty: 0."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(100([.,]0{1,2})?|[0-9]{1,2}([.,][0-9]{1,2})?)?$", var.platform_fee))
    error_message = "platform_fee must be a percentage from 0 to 100 with at most two decimals, quoted (e.g. \"10\")."
  }
}

variable "payout_iban" {
  description = "PATRON_PAYOUT_IBAN: the platform's bank account payouts are sent from (an IBAN, or a Czech prefix-number/bank); empty: no payouts."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{10,36}|([0-9]{1,6}-)?[0-9]{2,10}/[0-9]{4})?$", var.payout_iban))
    error_message = "payout_iban must be an IBAN (CZ65 0800 0000 1920 0014 5399) or a Czech account number (19-2000145399/0800)."
  }
}

variable "payout_name" {
  description = "PATRON_PAYOUT_NAME: the holder of payout_iban, as the bank knows it; set with payout_iban."
  type        = string
  default     = ""

  validation {
    condition     = length(var.payout_name) <= 70
    error_message = "payout_name must be at most 70 characters."
  }
}

variable "payout_hold" {
  description = "PATRON_PAYOUT_HOLD: how long earnings wait before they can be paid out (e.g. \"7d\"); empty: 7d."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([0-9]+[smhd]?)?$", var.payout_hold))
    error_message = "payout_hold must be a duration such as \"7d\" or \"36h\"."
  }
}

variable "payout_minimum" {
  description = "PATRON_PAYOUT_MINIMUM: the smallest payout per currency, e.g. \"500 CZK, 20 EUR\"; empty: that default."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(\\s*[0-9]+(\\.[0-9]{1,2})?\\s+[A-Za-z]{3}\\s*(,\\s*[0-9]+(\\.[0-9]{1,2})?\\s+[A-Za-z]{3}\\s*)*)?$", var.payout_minimum))
    error_message = "payout_minimum must be amounts with their currency, never negative: \"500 CZK, 20 EUR\"."
  }
}

variable "seller_name" {
  description = "PATRON_SELLER_NAME: the seller's legal name on tax documents (the platform's operator)."
  type        = string
  default     = ""
}

variable "seller_address" {
  description = "PATRON_SELLER_ADDRESS: the seller's address on tax documents."
  type        = string
  default     = ""
}

variable "seller_country" {
  description = "PATRON_SELLER_COUNTRY: the seller's EU member state (e.g. \"CZ\"); empty: CZ."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z]{2})?$", var.seller_country))
    error_message = "seller_country must be a two-letter country code, e.g. \"CZ\"."
  }
}

variable "seller_vat_id" {
  description = "PATRON_SELLER_VAT_ID: the seller's VAT ID (e.g. \"CZ12345678\"); empty: not registered for VAT, documents carry no VAT."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z]{2}[A-Za-z0-9 .-]{2,16})?$", var.seller_vat_id))
    error_message = "seller_vat_id must be an EU VAT ID: a country prefix and its number, e.g. \"CZ12345678\"."
  }
}

variable "seller_oss" {
  description = "PATRON_SELLER_OSS: declare VAT on sales to consumers in other member states through the One-Stop Shop (needs seller_vat_id)."
  type        = bool
  default     = false
}

variable "seller_series" {
  description = "PATRON_SELLER_SERIES: the prefix of document numbers, capitals and digits; empty: P."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Z0-9]{1,10})?$", var.seller_series))
    error_message = "seller_series must be 1 to 10 capital letters and digits."
  }
}

variable "stripe_publishable_key" {
  description = "PATRON_STRIPE_PUBLISHABLE_KEY: the publishable key (pk_live_…) Stripe.js runs with on patron's payment page; public. With stripe_secret_key and stripe_webhook_secret (all three or none) Stripe takes new checkouts."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(pk_[A-Za-z0-9_]+)?$", var.stripe_publishable_key))
    error_message = "stripe_publishable_key must be a publishable key, pk_live_… or pk_test_… (the secret key is stripe_secret_key)."
  }
}

variable "stripe_api_base" {
  description = "PATRON_STRIPE_API_BASE: Stripe's API; empty uses patron's default, https://api.stripe.com."
  type        = string
  default     = ""
}

variable "stripe_js_url" {
  description = "PATRON_STRIPE_JS_URL: where Stripe.js is loaded from; empty uses patron's default, https://js.stripe.com/v3/."
  type        = string
  default     = ""
}

variable "stripe_secret_key" {
  description = "PATRON_STRIPE_SECRET_KEY: Stripe's secret key (sk_live_…, sk_test_…) or a restricted key (rk_…). Give it as TF_VAR_stripe_secret_key."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.stripe_secret_key == "" || can(regex("^(sk|rk)_", var.stripe_secret_key))
    error_message = "stripe_secret_key must be a secret key (sk_…) or a restricted key (rk_…)."
  }
}

variable "stripe_webhook_secret" {
  description = "PATRON_STRIPE_WEBHOOK_SECRET: the signing secret (whsec_…) of the webhook endpoint <public URL>/payments/webhooks/stripe. Give it as TF_VAR_stripe_webhook_secret."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.stripe_webhook_secret == "" || can(regex("^whsec_", var.stripe_webhook_secret))
    error_message = "stripe_webhook_secret must be a webhook signing secret (whsec_…)."
  }
}

variable "monitoring" {
  description = "Create the chart's ServiceMonitor and PrometheusRule (the cluster must have the Prometheus Operator's CRDs)."
  type        = bool
  default     = false
}

variable "extra_values" {
  description = "Further values of the patron chart as YAML, applied last (e.g. resources, autoscaling, the probe)."
  type        = string
  default     = ""
}
