locals {
  infra         = data.terraform_remote_state.infrastructure.outputs
  managed_redis = local.infra.managed_redis

  # the patron-data release is called "patron-data", so its Service is too
  in_cluster_cache_url = "redis://patron-data.${var.namespace}.svc:6379/0"

  # Managed databases listen on DigitalOcean's ports in the VPC: PostgreSQL 25060 (25061 is
  # the PgBouncer pool), Valkey 25061; patron's NetworkPolicy lets exactly those out.
  database_egress = {
    cidrs           = [local.infra.vpc_ip_range]
    namespaceLabels = {}
    podLabels       = {}
    ports           = [25060]
  }
  redis_egress = local.managed_redis ? {
    cidrs           = [local.infra.vpc_ip_range]
    namespaceLabels = {}
    podLabels       = {}
    ports           = [25061]
    } : {
    cidrs           = []
    namespaceLabels = {}
    podLabels       = { "app.kubernetes.io/name" = "patron-data" }
    ports           = [6379]
  }

  # Everything that is not a secret. yamlencode writes every Terraform string as a quoted
  # YAML string, so the merchant number reaches Helm as text (the chart's schema insists on it).
  patron_values = {
    image = {
      registry   = var.image_registry
      repository = var.image_repository
      tag        = var.image_tag
      digest     = var.image_digest
    }
    config = {
      publicUrl              = local.infra.public_url
      storageUrl             = local.infra.storage_url
      s3AccessKeyId          = local.infra.s3_access_key_id
      trustedProxies         = var.trusted_proxies
      databaseMaxConnections = var.database_max_connections
      mailFrom               = var.mail_from
      paymentSandbox         = var.payment_sandbox
      platformFee            = var.platform_fee
      payoutIban             = var.payout_iban
      payoutName             = var.payout_name
      payoutHold             = var.payout_hold
      payoutMinimum          = var.payout_minimum
      sellerName             = var.seller_name
      sellerAddress          = var.seller_address
      sellerCountry          = var.seller_country
      sellerVatId            = var.seller_vat_id
      sellerOss              = var.seller_oss
      sellerSeries           = var.seller_series
      gpwebpayMerchantNumber = var.gpwebpay_merchant_number
      gpwebpayUrl            = var.gpwebpay_url
      gpwebpayPublicKey      = var.gpwebpay_public_key
      gpwebpayWsUrl          = var.gpwebpay_ws_url
      gpwebpayProvider       = var.gpwebpay_provider
      stripePublishableKey   = var.stripe_publishable_key
      stripeApiBase          = var.stripe_api_base
      stripeJsUrl            = var.stripe_js_url
    }
    web = {
      replicas = var.web_replicas
    }
    worker = {
      replicas = var.worker_replicas
    }
    ingress = {
      enabled     = true
      className   = var.ingress_class_name
      annotations = var.ingress_annotations
      hosts       = [local.infra.site_host]
      tls = [{
        secretName = var.tls_secret_name
        hosts      = [local.infra.site_host]
      }]
    }
    networkPolicy = {
      ingressController = {
        namespaceLabels = var.ingress_namespace_labels
      }
      egress = {
        postgres = local.database_egress
        redis    = local.redis_egress
      }
    }
    serviceMonitor = {
      enabled = var.monitoring
    }
    prometheusRule = {
      enabled = var.monitoring
    }
  }

  # The secrets, as a values document of their own: Terraform keeps it out of plan output, and
  # values files need none of the escaping that --set needs for commas and dots.
  patron_secret_values = {
    secrets = {
      databaseUrl       = { value = local.infra.database_url }
      secretKey         = { value = random_password.secret_key.result }
      cacheUrl          = { value = local.managed_redis ? local.infra.redis_url : local.in_cluster_cache_url }
      smtpUrl           = { value = var.smtp_url }
      s3SecretAccessKey = { value = local.infra.s3_secret_access_key }
      gpwebpayPrivateKey = {
        value = var.gpwebpay_private_key
      }
      gpwebpayPrivateKeyPassword = {
        value = var.gpwebpay_private_key_password
      }
      stripeSecretKey = {
        value = var.stripe_secret_key
      }
      stripeWebhookSecret = {
        value = var.stripe_webhook_secret
      }
    }
  }
}

# PATRON_SECRET_KEY: made once, kept in the state, the same for every pod. Replacing it logs
# nobody out but invalidates forms in flight and every signed media address handed out.
resource "random_password" "secret_key" {
  length  = 64
  special = false
}

# Redis in its own release, so `helm uninstall patron` (or a failed upgrade) never touches
# its data. Not installed when the infrastructure made a managed Valkey cluster.
resource "helm_release" "patron_data" {
  count = local.managed_redis ? 0 : 1

  name             = "patron-data"
  chart            = "${path.module}/../../helm/patron-data"
  namespace        = var.namespace
  create_namespace = true

  # --wait --rollback-on-failure (formerly --atomic) --timeout, as the CI pipelines deploy
  wait            = true
  atomic          = true
  cleanup_on_fail = true
  timeout         = var.helm_timeout_seconds
  max_history     = 10

  values = [yamlencode({
    networkPolicy = {
      clientPodLabels = { "app.kubernetes.io/name" = "patron" }
    }
    prometheusRule = {
      enabled = var.monitoring
    }
  })]
}

resource "helm_release" "patron" {
  name             = "patron"
  chart            = "${path.module}/../../helm/patron"
  namespace        = var.namespace
  create_namespace = true

  wait            = true
  atomic          = true
  cleanup_on_fail = true
  timeout         = var.helm_timeout_seconds
  max_history     = 10

  values = compact([
    yamlencode(local.patron_values),
    yamlencode(local.patron_secret_values),
    var.extra_values,
  ])

  depends_on = [helm_release.patron_data]
}
