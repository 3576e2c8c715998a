from django.urls import path

from vafa.web.portal import auth, history, home, messages, profile, recognition, referrals, rewards, spend, surveys

app_name = "portal"
urlpatterns = [
    path("", home.home_view, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/code/", auth.code_view, name="login_code"),
    path("login/resend/", auth.resend_view, name="login_resend"),
    path("login/join/", auth.join_view, name="join"),
    path("join", auth.join_link, name="join_link"),
    path("join/", auth.join_link),
    path("logout/", auth.logout_view, name="logout"),
    path("history/", history.history_view, name="history"),
    path("history/purchases/", history.purchases_view, name="purchases"),
    path("history/coupons/", history.wallet_view, name="wallet"),
    path("rewards/", rewards.catalogue_view, name="rewards"),
    path("rewards/<int:reward_id>/redeem/", rewards.redeem_view, name="redeem"),
    path("rewards/redemptions/<int:redemption_id>/", rewards.redemption_view, name="redemption"),
    path("referrals/", referrals.referrals_view, name="referrals"),
    path("spend-code/", spend.spend_code_view, name="spend_code"),
    path("profile/", profile.profile_view, name="profile"),
    path("profile/consents/", profile.consents_view, name="consents"),
    *messages.urlpatterns,
    *surveys.urlpatterns,
    *recognition.urlpatterns,
]
